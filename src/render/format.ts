/**
 * Prettier for what it can parse (TypeScript, Markdown); other languages are emitted already
 * formatted by their templates. Loaded lazily: most runs write no TypeScript.
 */
import type { GeneratedFile } from '../targets/types.js';

const PARSERS: Record<string, string> = { '.ts': 'typescript', '.md': 'markdown' };

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
