/** One watched element as report.json records it (config key `watch`, see config/watch.ts). */
export interface WatchedElement {
  id: string;
  dim: number;
  /** The golden's value; null when the text is not in this run's rows (another shard). */
  golden: number | null;
  /** Every backend that produced vectors, by name; absent backends produced none. */
  values: Record<string, number>;
}
