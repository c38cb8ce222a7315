/**
 * Query designs as schemas, once: the REST bodies (POST creates, PATCH/PUT
 * change any subset), the page forms built from the same field schemas, the
 * list query and the answers. Unknown keys are refused so a typo is a 422,
 * not a silently ignored setting.
 *
 * Limits: name 1–120 characters, one line; description up to 2,000
 * characters (null means empty); arenas_config as in arenas-config.ts.
 *
 * @example
 *   api.post('/', json(QueryDesignCreateBody), async (c) => store.create(c.req.valid('json')));
 */
import * as v from 'valibot';
import { confirmed, IsoTimestamp, multiLineText, paging, singleLine, strict } from '../schema/types.ts';
import { ARENA_IDS, arenaTiers, type ArenaId, type Tier } from '../arenas/registry.ts';
import { ArenasConfigSchema, tierMessage } from '../arenas/arenas-config.ts';

const DESIGN_NAME_MAX = 120;
const DESIGN_DESCRIPTION_MAX = 2000;
const DESIGN_LIST_MAX = 200;

const Name = singleLine(DESIGN_NAME_MAX);
const Description = multiLineText(DESIGN_DESCRIPTION_MAX);
const NullableDescription = v.pipe(
  v.nullable(Description),
  v.transform((d) => d ?? ''),
);

export const QueryDesignCreateBody = strict({
  name: Name,
  description: v.optional(NullableDescription),
  arenas_config: v.optional(ArenasConfigSchema),
});

export const QueryDesignPatchBody = strict({
  name: v.optional(Name),
  description: v.optional(NullableDescription),
  arenas_config: v.optional(ArenasConfigSchema),
});

/** What the store takes: a validated create, or a validated change. */
export type QueryDesignCreate = v.InferOutput<typeof QueryDesignCreateBody>;
export type QueryDesignInput = v.InferOutput<typeof QueryDesignPatchBody>;

export const QueryDesignListQuery = strict(paging(DESIGN_LIST_MAX, 100));

/** The "new design" form: name and description. */
export const QueryDesignCreateForm = strict({ name: Name, description: v.optional(Description) });

/**
 * The edit form: name, description, and per arena a checkbox `enabled_<id>`
 * and a select `tier_<id>` limited to the tiers that arena offers.
 */
export const QueryDesignEditForm = v.strictObject({
  name: Name,
  description: v.optional(Description),
  ...Object.fromEntries(
    ARENA_IDS.flatMap((id) => [
      [`enabled_${id}`, v.optional(v.literal('on', 'must be ticked or left out'))],
      [`tier_${id}`, v.optional(v.picklist(arenaTiers(id), (issue) => tierMessage(id, issue.input)))],
    ]),
  ),
});

export type QueryDesignEditFields = { name: string; description?: string } & Record<`enabled_${ArenaId}`, 'on' | undefined> &
  Record<`tier_${ArenaId}`, Tier | undefined>;

/** Deleting a design needs the ticked confirmation box. */
export const QueryDesignDeleteForm = strict({ confirm: confirmed('tick the confirmation box to delete') });

export const QueryDesignSchema = v.object({
  id: v.number(),
  owner_id: v.number(),
  name: v.string(),
  description: v.string(),
  arenas_config: v.object({ arenas: v.array(v.object({ id: v.picklist(ARENA_IDS), enabled: v.boolean(), tier: v.string() })) }),
  created_at: IsoTimestamp,
  updated_at: IsoTimestamp,
});

export const QueryDesignListSchema = v.object({
  items: v.array(QueryDesignSchema),
  total: v.number(),
  limit: v.number(),
  offset: v.number(),
});

export const QueryDesignDeletedSchema = v.object({ id: v.number(), deleted: v.literal(true) });
