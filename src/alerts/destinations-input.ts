/** The input of a new alert destination, for the API (JSON) and the page (form) alike. */
import * as v from 'valibot';
import { singleLine, strict } from '../schema/types.ts';

export const DestinationBody = strict({
  kind: v.picklist(['slack', 'json'], 'must be "slack" or "json"'),
  name: singleLine(120),
  url: v.pipe(v.string('is required'), v.trim(), v.minLength(1, 'is required'), v.maxLength(2048, 'must be at most 2048 characters')),
});
