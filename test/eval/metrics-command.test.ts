import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out: () => out.join(''), err: () => err.join('') };
}

async function run(argv: string[]) {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

const dir = mkdtempSync(join(tmpdir(), 'ctscreen-metrics-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
function csv(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A user error: exit 2, one line on stderr matching `message`, no stack trace. */
async function userError(argv: string[], message: RegExp) {
  const r = await run(argv);
  assert.equal(r.code, 2, `exit code for ${argv.join(' ')}: ${r.err}`);
  assert.match(r.err, message);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.doesNotMatch(r.err, /\n\s+at /);
}

const TABLE5 = '26,3,1;4,25,1;2,1,27';

test('metrics --confusion prints the paper\'s Table 6 and the 86.7 % accuracy', async () => {
  const r = await run(['metrics', '--confusion', TABLE5, '--labels', 'covid19,iavp,nif']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^covid19 +30 +0\.813 +0\.867 +0\.839 +0\.900$/m);
  assert.match(r.out, /^iavp +30 +0\.862 +0\.833 +0\.847 +0\.933$/m);
  assert.match(r.out, /^nif +30 +0\.931 +0\.900 +0\.915 +0\.967$/m);
  assert.match(r.out, /^accuracy 0\.867 \(78\/90\)$/m);
  assert.match(r.out, /^accuracy +0\.867 +0\.789 – 0\.933$/m); // bootstrap CI, seed 1, 2000 resamples
});

test('metrics --json carries the same numbers; NaN-free; bootstrap can be turned off', async () => {
  const r = await run(['metrics', '--confusion', TABLE5, '--labels', 'covid19,iavp,nif', '--json', '--bootstrap', '500', '--seed', '9']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.labels, ['covid19', 'iavp', 'nif']);
  assert.deepEqual(j.confusion.matrix, [[26, 3, 1], [4, 25, 1], [2, 1, 27]]);
  assert.equal(j.correct, 78);
  assert.equal(j.perClass[0].precision, 26 / 32);
  assert.equal(j.perClass[1].f1, 50 / 59);
  assert.equal(j.perClass[0].auc, null);
  assert.equal(j.bootstrap.resamples, 500);
  assert.equal(j.bootstrap.seed, 9);
  assert.ok(j.bootstrap.intervals.accuracy.low < 78 / 90 && j.bootstrap.intervals.accuracy.high > 78 / 90);
  const off = JSON.parse((await run(['metrics', '--confusion', TABLE5, '--json', '--bootstrap', '0'])).out);
  assert.equal(off.bootstrap, null);
  assert.deepEqual(off.labels, ['c1', 'c2', 'c3']);
});

test('metrics --confusion: malformed matrices are one-line user errors saying what is wrong', async () => {
  await userError(['metrics', '--confusion', '26,3,1;4,25;2,1,27'], /--confusion '26,3,1;4,25;2,1,27': row 2 has 2 counts but row 1 has 3/);
  await userError(['metrics', '--confusion', '26,3,x;4,25,1;2,1,27'], /'x' at row 1, column 3 is not a non-negative integer count/);
  await userError(['metrics', '--confusion', '26,-3;4,25'], /'-3' at row 1, column 2 is not a non-negative integer/);
  await userError(['metrics', '--confusion', '26,3,1;4,25,1'], /2 rows of 3 counts; a confusion matrix is square/);
  await userError(['metrics', '--confusion', TABLE5, '--labels', 'a,b'], /--labels has 2 names \(a, b\) but --confusion has 3 classes/);
  await userError(['metrics', '--confusion', TABLE5, '--labels', 'a,b,a'], /--labels 'a,b,a' names 'a' twice/);
  await userError(['metrics'], /give exactly one of --confusion "<rows>" or --predictions <file.csv>/);
  await userError(['metrics', '--confusion', TABLE5, '--level', '95'], /--level '95' must be a number between 0 and 1/);
  await userError(['metrics', '--confusion', TABLE5, '--bootstrap', 'many'], /--bootstrap 'many' must be an integer ≥ 0/);
});

test('metrics --predictions with scores: AUC and calibration by hand', async () => {
  // actual a,a,b,b; predicted a,b,b,b → matrix [[1,1],[0,2]], accuracy 3/4.
  // AUC(a): a-scores of a-cases 0.9, 0.4 all above those of b-cases 0.2, 0.3 → 1; AUC(b) likewise 1.
  // Predicted-class scores 0.9 ✓, 0.6 ✗, 0.8 ✓, 0.7 ✓, one per 0.1-bin → ECE = (0.1 + 0.6 + 0.2 + 0.3) / 4 = 0.3.
  const file = csv('scores.csv', 'case,label,predicted,score_a,score_b\n1,a,a,0.9,0.1\n2,a,b,0.4,0.6\n3,b,b,0.2,0.8\n4,b,b,0.3,0.7\n');
  const r = await run(['metrics', '--predictions', file, '--json', '--bootstrap', '0']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.labels, ['a', 'b']);
  assert.deepEqual(j.confusion.matrix, [[1, 1], [0, 2]]);
  assert.equal(j.accuracy, 0.75);
  assert.deepEqual(j.perClass.map((m: { auc: number }) => m.auc), [1, 1]);
  assert.ok(Math.abs(j.calibration.ece - 0.3) < 1e-12, String(j.calibration.ece));
  assert.ok(Math.abs(j.calibration.mce - 0.6) < 1e-12);
  const text = await run(['metrics', '--predictions', file, '--bootstrap', '0']);
  assert.match(text.out, new RegExp(`^metrics from ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 4 cases, 2 classes$`, 'm'));
  assert.match(text.out, /ECE 0\.300, MCE 0\.600/);
});

test('metrics --predictions without scores: classes sorted, quoted ids, CRLF and BOM accepted', async () => {
  const file = csv('plain.csv', '\ufeffcase,label,predicted,site\r\n"x,1",covid,covid,A\r\n"he said ""2""",flu,covid,B\r\n3,flu,flu,A\r\n\r\n');
  const r = await run(['metrics', '--predictions', file, '--json', '--bootstrap', '0']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.labels, ['covid', 'flu']);
  assert.deepEqual(j.confusion.matrix, [[1, 0], [1, 1]]);
  assert.equal(j.calibration, null);
  assert.match(j.notes.join('\n'), /ignored column\(s\) site/);
});

test('metrics --predictions: malformed CSVs name the file, the line and the problem', async () => {
  const cases: [string, string, RegExp, string[]?][] = [
    ['nohead.csv', 'id,label,predicted\n1,a,a\n', /nohead\.csv line 1: header lacks 'case'; found 'id', 'label', 'predicted'/],
    ['short.csv', 'case,label,predicted\n1,a,a\n2,a\n', /short\.csv line 3: has 2 fields but the header has 3/],
    ['unknown.csv', 'case,label,predicted\n1,a,a\n2,b,z\n', /unknown\.csv line 3: predicted 'z' is not among a, b \(--labels\)/, ['--labels', 'a,b']],
    ['badscore.csv', 'case,label,predicted,score_a,score_b\n1,a,a,0.9,0.1\n2,b,b,high,0.8\n', /badscore\.csv line 3: score_a 'high' is not a number/],
    ['partscore.csv', 'case,label,predicted,score_a\n1,a,a,0.9\n2,b,b,0.2\n', /partscore\.csv line 1: score columns are for a but the classes are a, b \(--labels\)/, ['--labels', 'a,b']],
    ['scorelabel.csv', 'case,label,predicted,score_a,score_b\n1,a,c,0.9,0.1\n', /scorelabel\.csv line 2: predicted 'c' is not among a, b \(the score columns\)/],
    ['dup.csv', 'case,label,predicted\n1,a,a\n1,b,b\n', /dup\.csv line 3: case '1' already appears on line 2/],
    ['empty.csv', '', /empty\.csv is empty; expected a header/],
    ['headonly.csv', 'case,label,predicted\n', /headonly\.csv has a header but no cases/],
    ['quote.csv', 'case,label,predicted\n"1,a,a\n', /quote\.csv line 2: a quoted field is not closed/],
  ];
  for (const [name, text, message, extra] of cases) {
    await userError(['metrics', '--predictions', csv(name, text), ...(extra ?? [])], message);
  }
  await userError(['metrics', '--predictions', join(dir, 'missing.csv')], /cannot read predictions file .*missing\.csv \(ENOENT\)/);
});
