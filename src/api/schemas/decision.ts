import { Type } from '@sinclair/typebox';

/** Response shapes of the bouncer routes (api/wire.ts bouncerDecision and streamBody): closed, key for key. */

const decisionFields = {
  duration: Type.String({ description: 'Time left, as a Go duration (`3h59m57.5s`).' }),
  id: Type.Integer(),
  origin: Type.String(),
  scenario: Type.String(),
  scope: Type.String(),
  type: Type.String(),
  value: Type.String(),
};

/** A decision in query mode (no `uuid`). */
export const BouncerDecision = Type.Object(decisionFields, { additionalProperties: false });

/** A decision in the stream (with its `uuid`). */
export const StreamDecision = Type.Object({ ...decisionFields, uuid: Type.String() }, { additionalProperties: false });

/** `GET /v1/decisions`: the decisions that apply, `null` when none. */
export const DecisionList = Type.Union([Type.Array(BouncerDecision), Type.Null()]);

/** `GET /v1/decisions/stream`: what is new and what was deleted since the last pull, each `null` when empty. */
export const DecisionStream = Type.Object(
  {
    new: Type.Union([Type.Array(StreamDecision), Type.Null()]),
    deleted: Type.Union([Type.Array(StreamDecision), Type.Null()]),
  },
  { additionalProperties: false },
);

const list = (what: string) => Type.String({ description: `A comma-separated list of ${what}.` });
const text = (description: string) => Type.String({ description });

/** What the bouncer routes read from the query (domain/decision-filter.ts parseDecisionFilter); others are ignored, as upstream. */
export const decisionQueryFields = {
  scope: list('scopes (`Ip`, `Range`, `Country`…): decisions of these scopes only'),
  scopes: list("scopes (upstream's stream name for `scope`)"),
  value: text('The decision value, exactly.'),
  type: text('The decision type (`ban`, `captcha`…).'),
  ip: text('An IP address: the decisions covering it (see `contains`).'),
  range: text('A CIDR range: the decisions covering it, or inside it with `contains=false`.'),
  contains: Type.String({ description: '`false`: decisions inside `ip`/`range` rather than covering it (a Go boolean).' }),
  origins: list('origins (`crowdsec`, `cscli`, `CAPI`, `lists`…)'),
  scenarios_containing: list('words: decisions whose scenario contains one of them'),
  scenarios_not_containing: list('words: decisions whose scenario contains none of them'),
  simulated: Type.String({ description: 'Present and not `false`: simulated decisions too.' }),
};

/** What the DELETE /v1/decisions route reads (domain/decision-filter.ts parseDecisionDeleteFilter): any other key is a 400. */
export const decisionDeleteQueryFields = {
  scopes: text('The decision scope.'),
  value: text('The decision value.'),
  type: text('The decision type.'),
  origin: text('The decision origin.'),
  scenario: text('The decision scenario.'),
  uuid: Type.Array(Type.String(), { description: 'Decision UUIDs (repeat the parameter).' }),
  ip: text('An IP address: the decisions covering it (see `contains`).'),
  range: text('A CIDR range: the decisions covering it, or inside it with `contains=false`.'),
  contains: Type.String({ description: 'A Go boolean (default true).' }),
};
