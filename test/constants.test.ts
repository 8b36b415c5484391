// The constants TypeScript shares with the engine and the addon have one home,
// the C and C++ headers; lib/constants.ts is generated from them by
// scripts/gen-constants.mjs. These tests fail when the two drift apart: a
// value changed in a header and not regenerated, or a generated file edited
// by hand.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as constants from '../lib/constants.js';
import { native, packageRoot } from '../lib/native.js';

const script = join(packageRoot, 'scripts/gen-constants.mjs');
/** What the generator reads, and what it writes. */
const SOURCES = ['native/include/tinymqtt/error.h', 'native/include/tinymqtt/client.h', 'native/include/tinymqtt/port.h',
  'native/include/tinymqtt/packet.h', 'native/src/props.c', 'binding/events.h', 'native/include/tinymqtt/drive.h',
  'binding/client.cc', 'binding/ws.h', 'binding/deliver.h', 'lib/constants.ts'];

/** Runs the generator's check over the tree at root. */
function check(root: string) {
  return spawnSync(process.execPath, [script, '--check', '--root', root], { encoding: 'utf8' });
}

const scratch: string[] = [];
afterAll(() => { for (const dir of scratch) rmSync(dir, { recursive: true, force: true }); });

/** A copy of the generator's inputs and output with `edit` applied to one file. */
function treeWith(file: string, edit: (text: string) => string): string {
  const root = mkdtempSync(join(tmpdir(), 'tmq-constants-'));
  scratch.push(root);
  for (const f of SOURCES) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    copyFileSync(join(packageRoot, f), join(root, f));
  }
  writeFileSync(join(root, file), edit(readFileSync(join(root, file), 'utf8')));
  return root;
}

describe('constants shared with the C headers', () => {
  it('lib/constants.ts is what the headers give (run node scripts/gen-constants.mjs)', () => {
    const r = check(packageRoot);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    ['an engine error number', 'native/include/tinymqtt/error.h', 'TMQ_ERR_CLOSED = -38', 'TMQ_ERR_CLOSED = -60'],
    ['a client state', 'native/include/tinymqtt/client.h', 'TMQ_STATE_DISCONNECTED = 0', 'TMQ_STATE_DISCONNECTED = 7'],
    ['the largest packet', 'native/include/tinymqtt/packet.h', '(TMQ_MAX_REMAINING + 5u)', '(TMQ_MAX_REMAINING + 4u)'],
    ['a property identifier', 'native/include/tinymqtt/packet.h', 'TMQ_PROP_USER = 0x26', 'TMQ_PROP_USER = 0x2B'],
    ['a property type', 'native/src/props.c', '{TMQ_PROP_TOPIC_ALIAS, T_U16', '{TMQ_PROP_TOPIC_ALIAS, T_U32'],
    ['an event kind', 'binding/events.h', 'kClosed = 10', 'kClosed = 11'],
    ['the event fields', 'binding/events.h', 'kEventFields = 6', 'kEventFields = 7'],
    ['a reply wait figure', 'native/include/tinymqtt/drive.h', 'TMQ_SPIN_BUDGET_US 100u', 'TMQ_SPIN_BUDGET_US 150u'],
    ['a read coalescing figure', 'native/include/tinymqtt/drive.h', 'TMQ_COALESCE_MAX_MARK 4096u', 'TMQ_COALESCE_MAX_MARK 8192u'],
    ['a client memory size', 'binding/client.cc', 'kOutAliasSlot = 2 + 256;', 'kOutAliasSlot = 2 + 512;'],
    ['a WebSocket buffer', 'binding/ws.h', 'kTx = 16 * 1024 + 14;', 'kTx = 8 * 1024 + 14;'],
    ['the batch data copy limit', 'binding/deliver.h', 'kCopyLimit = 64 * 1024;', 'kCopyLimit = 32 * 1024;'],
    ['the generated file itself', 'lib/constants.ts', 'MESSAGE_HAS_PROPS = 16', 'MESSAGE_HAS_PROPS = 32'],
  ])('a changed %s fails the check', (_what, file, from, to) => {
    const root = treeWith(file, (text) => {
      expect(text).toContain(from);
      return text.replace(from, to);
    });
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/lib\/constants\.ts differs from the headers/);
  });

  it('the addon was built from the same error numbers', () => {
    const errors = Object.entries(constants).filter(([name]) => name.startsWith('TMQ_ERR_'));
    expect(errors.length).toBeGreaterThan(50);
    for (const [name, value] of errors) expect(native.strerror(value as number)).toBe(name);
  });
});
