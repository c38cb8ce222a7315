/**
 * Validates query design bodies (REST JSON and the page form, which is turned
 * into the same shape). Pure. Unknown keys are refused so a typo is a 422,
 * not a silently ignored setting.
 *
 * Limits: name 1–120 characters, one line; description up to 2,000
 * characters; arenas_config as in arenas-config.ts.
 */
import { VaultError } from '../errors.ts';
import { isMultiLineText, isSingleLine, MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE } from '../schema/text.ts';
import { parseArenasConfig, type ArenasConfig } from './arenas-config.ts';

export const DESIGN_NAME_MAX = 120;
export const DESIGN_DESCRIPTION_MAX = 2000;

export interface QueryDesignInput {
  name?: string;
  description?: string;
  arenasConfig?: ArenasConfig;
}

const KEYS = ['name', 'description', 'arenas_config'];

function invalid(field: string, message: string): VaultError {
  return new VaultError('VALIDATION_FAILED', message, { details: { field } });
}

/** `partial` (PATCH) allows any subset; otherwise `name` is required. */
export function parseQueryDesign(body: Record<string, unknown>, partial: boolean): QueryDesignInput {
  const unknown = Object.keys(body).find((k) => !KEYS.includes(k));
  if (unknown) throw invalid(unknown, `Unknown field "${unknown.slice(0, 40)}"; allowed: ${KEYS.join(', ')}.`);
  const out: QueryDesignInput = {};
  if (body.name !== undefined || !partial) {
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (!name) throw invalid('name', 'name is required.');
    if (name.length > DESIGN_NAME_MAX) throw invalid('name', `name must be at most ${DESIGN_NAME_MAX} characters.`);
    if (!isSingleLine(name)) throw invalid('name', `name ${SINGLE_LINE_MESSAGE}.`);
    out.name = name;
  }
  if (body.description !== undefined && body.description !== null) {
    if (typeof body.description !== 'string') throw invalid('description', 'description must be text.');
    if (body.description.length > DESIGN_DESCRIPTION_MAX) throw invalid('description', `description must be at most ${DESIGN_DESCRIPTION_MAX} characters.`);
    if (!isMultiLineText(body.description)) throw invalid('description', `description ${MULTI_LINE_MESSAGE}.`);
    out.description = body.description;
  } else if (body.description === null) out.description = '';
  if (body.arenas_config !== undefined) out.arenasConfig = parseArenasConfig(body.arenas_config);
  return out;
}

/** A positive integer id from a path segment, or 404 (an id that cannot exist is simply not found). */
export function parseDesignId(raw: string | undefined): number {
  if (!raw || !/^[1-9][0-9]{0,15}$/.test(raw)) throw new VaultError('NOT_FOUND', 'No such query design.');
  return Number(raw);
}
