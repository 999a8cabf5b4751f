/**
 * Prettier formats the TypeScript backfill (code users lint with prettier themselves). Every other
 * file, the Markdown checklist included, leaves its template already formatted: loading prettier's
 * Markdown plugin alone costs more than the rest of a run. Loaded lazily: most runs write no
 * TypeScript.
 */
import type { GeneratedFile } from '../targets/types.js';

const PARSERS: Record<string, string> = { '.ts': 'typescript' };

export async function formatFile(file: GeneratedFile): Promise<GeneratedFile> {
  const ext = file.path.slice(file.path.lastIndexOf('.'));
  const parser = PARSERS[ext];
  if (!parser) return file;
  const prettier = await import('prettier');
  const content = await prettier.format(file.content, {
    parser,
    printWidth: 110,
    singleQuote: true,
    proseWrap: 'preserve',
  });
  return { ...file, content };
}
