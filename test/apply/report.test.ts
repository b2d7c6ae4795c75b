// What a host prints is data: it never breaks out of the terminal table, the JSON report, or the
// markdown step summary.
import { describe, expect, test } from 'vitest';
import type { HostResult } from '../../src/apply/applyHost.js';
import { escapeMarkdownCell, formatApplyMarkdown, formatApplyTable, summarizeResults } from '../../src/apply/formatApplyReport.js';
import { remoteText } from '../../src/apply/remoteText.js';

const hostile = 'validate: bad\n\n# Approved by security\n[click](https://evil.example) | injected | cell\u001b[2J\r<img src=x>';

describe('remote text', () => {
  test('control characters (newlines, escape sequences, carriage returns) become single spaces', () => {
    expect(remoteText(hostile)).toBe('validate: bad # Approved by security [click](https://evil.example) | injected | cell [2J <img src=x>');
    expect(remoteText('a\u0000b\u009bc\u2028d')).toBe('a b c d');
  });

  test('a host message stays one markdown cell: no heading, link, HTML or extra column', () => {
    const results: HostResult[] = [{ host: 'h', isHub: false, result: 'failed', seconds: 1, message: remoteText(hostile) }];
    const markdown = formatApplyMarkdown(results);
    const lines = markdown.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const row = lines[2]!;
    // Exactly the table's own pipes (six cells); every pipe of the message is escaped.
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(8);
    expect(row).not.toMatch(/(^|[^\\])\[click\]\(/);
    expect(row).not.toContain('<img');
    expect(row).toContain('\\[click\\]');
    expect(escapeMarkdownCell('`code` *bold* _x_')).toBe('\\`code\\` \\*bold\\* \\_x\\_');
  });

  test('the terminal table has one line per host', () => {
    const results: HostResult[] = [
      { host: 'a', isHub: true, result: 'ROLLBACK FAILED', seconds: 2, message: remoteText(hostile) },
      { host: 'b', isHub: false, result: 'rolled back', seconds: 1, message: 'verify: no handshake with the hub; rolled back to the previous files' },
    ];
    expect(formatApplyTable(results).trimEnd().split('\n')).toHaveLength(3);
    expect(summarizeResults(results)).toBe('0 applied, 0 unchanged, 0 planned, 0 failed, 1 rolled back, 0 skipped, 1 ROLLBACK FAILED');
  });
});
