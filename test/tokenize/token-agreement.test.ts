import { describe, expect, it } from 'vitest';
import { describeTokenAgreement, firstDifference, TokenAgreementAccumulator } from '../../src/tokenize/token-agreement.js';

const vocab = ['[PAD]', 'hello', 'world', '[CLS]', '[SEP]', '##s'];
const name = (id: number) => vocab[id];

describe('token agreement', () => {
  it('finds the first differing position, including where one sequence is a prefix of the other', () => {
    expect(firstDifference([3, 1, 2, 4], [3, 1, 2, 4])).toBe(-1);
    expect(firstDifference([3, 1, 2, 4], [3, 1, 5, 4])).toBe(2);
    expect(firstDifference([3, 1, 2], [3, 1, 2, 4])).toBe(3);
    expect(firstDifference([], [])).toBe(-1);
  });

  it('names the texts, the first differing position and the tokens on both sides, and says nothing when all agree', () => {
    const acc = new TokenAgreementAccumulator('llama.cpp', 'Hugging Face tokenizer', 1);
    expect(acc.add(0, 'hello world', [3, 1, 2, 4], [3, 1, 2, 4], name, name)).toBeNull();
    expect(describeTokenAgreement(acc.result())).toBeNull();
    const d = acc.add(7, 'hello worlds', [3, 1, 2, 4], [3, 1, 2, 5, 4], name, name);
    expect(d).toEqual({ row: 7, text: 'hello worlds', position: 3, ours: { id: 4, token: '[SEP]' }, theirs: { id: 5, token: '##s' }, oursLength: 4, theirsLength: 5 });
    acc.add(9, 'hello', [3, 1], [3, 1, 4], name, name);
    const r = acc.result();
    expect([r.texts, r.disagreeing, r.examples.length]).toEqual([3, 2, 1]);
    expect(describeTokenAgreement(r)).toBe(
      'llama.cpp tokenizes 2 of 3 texts differently from the Hugging Face tokenizer, so those texts are different inputs: ' +
        'text 7 "hello worlds" at position 3: llama.cpp 4 "[SEP]", Hugging Face tokenizer 5 "##s"; and 1 more',
    );
  });

  it('says where a sequence ended when the other goes on', () => {
    const acc = new TokenAgreementAccumulator('a', 'b');
    acc.add(0, 'x', [3, 1], [3, 1, 4], name, name);
    expect(describeTokenAgreement(acc.result())).toContain('at position 2: a (end: 2 tokens), b 4 "[SEP]"');
  });
});
