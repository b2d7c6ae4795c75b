import { describe, expect, test } from 'vitest';
import { alignAttributes, hclObjectKey, hclString, hclValue } from '../../src/render/terraform/hcl.js';

describe('HCL literals', () => {
  test('strings cannot end early or start a template', () => {
    expect(hclString('a"b')).toBe('"a\\"b"');
    expect(hclString('back\\slash')).toBe('"back\\\\slash"');
    expect(hclString('${var.x}')).toBe('"$${var.x}"');
    expect(hclString('%{ if true }')).toBe('"%%{ if true }"');
    expect(hclString('line\nbreak\r\t')).toBe('"line\\nbreak\\r\\t"');
    expect(hclString('bell\u0007')).toBe('"bell\\u0007"');
    expect(hclString('$ and % alone, & <tags>')).toBe('"$ and % alone, & <tags>"');
  });

  test('lists, numbers and booleans', () => {
    expect(hclValue(['app', 'x"y'])).toBe('["app", "x\\"y"]');
    expect(hclValue(42)).toBe('42');
    expect(hclValue(false)).toBe('false');
  });

  test('object keys a user names are always quoted: keywords and leading digits stay keys', () => {
    for (const name of ['for', 'if', 'null', 'true', '1st', 'plan']) expect(hclObjectKey(name)).toBe(`"${name}"`);
    expect(hclObjectKey('${x}')).toBe('"$${x}"');
    expect(hclObjectKey('a"b\n')).toBe('"a\\"b\\n"');
  });

  test('quoted keys are padded with their quotes, as terraform fmt counts them', () => {
    expect(alignAttributes([[hclObjectKey('for'), '"x"'], [hclObjectKey('instance_type'), '"y"']])).toEqual([
      { name: '"for"          ', value: '"x"' },
      { name: '"instance_type"', value: '"y"' },
    ]);
  });

  test('attribute names are padded like terraform fmt aligns them', () => {
    expect(alignAttributes([['ami', '"x"'], ['instance_type', '"y"']])).toEqual([
      { name: 'ami          ', value: '"x"' },
      { name: 'instance_type', value: '"y"' },
    ]);
  });
});
