/**
 * Bearer tokens: `name:token` pairs from CTSCREEN_TOKENS (comma-separated) or a tokens file (one pair
 * a line, # comments). A presented token is compared with every server token as SHA-256 digests with
 * crypto.timingSafeEqual (equal lengths, no early exit), so timing tells nothing about any token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';

export interface TokenEntry {
  name: string;
  digest: Buffer;
}

/** Shortest token accepted: 128 bits as hex, so a token cannot be guessed either. */
export const MIN_TOKEN_CHARS = 16;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export function parseTokens(text: string, source: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  const names = new Set<string>();
  for (const raw of text.split(/[,\n]/)) {
    const item = raw.replace(/#.*$/, '').trim();
    if (!item) continue;
    const i = item.indexOf(':');
    const name = i > 0 ? item.slice(0, i).trim() : '';
    const token = i > 0 ? item.slice(i + 1).trim() : '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name) || !token) throw new InputError('AUTH_TOKENS', `${source}: each entry must be name:token (name of letters, digits, . _ -); got an entry of ${item.length} characters that is not`);
    if (token.length < MIN_TOKEN_CHARS) throw new InputError('AUTH_TOKENS', `${source}: the token of '${name}' has ${token.length} characters; use at least ${MIN_TOKEN_CHARS} (e.g. openssl rand -hex 16)`);
    if (names.has(name)) throw new InputError('AUTH_TOKENS', `${source}: the name '${name}' appears twice`);
    names.add(name);
    out.push({ name, digest: digest(token) });
  }
  return out;
}

/** Tokens from --tokens-file, else CTSCREEN_TOKENS; [] when neither is set. */
export function loadTokens(options: { tokensFile?: string; env?: NodeJS.ProcessEnv }): TokenEntry[] {
  if (options.tokensFile) {
    let text: string;
    try {
      text = readFileSync(options.tokensFile, 'utf8');
    } catch (e) {
      throw new InputError('AUTH_TOKENS', `--tokens-file ${options.tokensFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { path: options.tokensFile, cause: e });
    }
    return parseTokens(text, `--tokens-file ${options.tokensFile}`);
  }
  const env = (options.env ?? process.env).CTSCREEN_TOKENS;
  return env ? parseTokens(env, 'CTSCREEN_TOKENS') : [];
}

/** The name a bearer token belongs to, or null. Compares against every entry whatever matches. */
export function tokenOwner(tokens: readonly TokenEntry[], presented: string): string | null {
  const d = digest(presented);
  let owner: string | null = null;
  for (const t of tokens) if (timingSafeEqual(d, t.digest) && owner === null) owner = t.name;
  return owner;
}
