/**
 * How each backend status looks in every renderer. Unknown statuses (newer reports, e.g. 'xfail' or
 * 'xpass') are shown as they are, never dropped, and count as skipped in JUnit.
 */
export type Tone = 'good' | 'bad' | 'warn' | 'muted';
export type JunitOutcome = 'pass' | 'failure' | 'error' | 'skipped';

export interface StatusStyle {
  label: string;
  tone: Tone;
  junit: JunitOutcome;
  /** One word for Markdown, with an emoji GitHub renders. */
  badge: string;
}

const KNOWN: Record<string, StatusStyle> = {
  pass: { label: 'PASS', tone: 'good', junit: 'pass', badge: '✅ PASS' },
  fail: { label: 'FAIL', tone: 'bad', junit: 'failure', badge: '❌ FAIL' },
  error: { label: 'ERROR', tone: 'bad', junit: 'error', badge: '💥 ERROR' },
  skipped: { label: 'SKIPPED', tone: 'muted', junit: 'skipped', badge: '⏭️ SKIPPED' },
  xfail: { label: 'XFAIL', tone: 'warn', junit: 'skipped', badge: '⚠️ XFAIL' },
  xpass: { label: 'XPASS', tone: 'warn', junit: 'pass', badge: '⚠️ XPASS' },
};

export function statusStyle(status: string): StatusStyle {
  return (
    KNOWN[status] ?? { label: String(status).toUpperCase(), tone: 'warn', junit: 'skipped', badge: `❔ ${String(status).toUpperCase()}` }
  );
}
