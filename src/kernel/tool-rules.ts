/**
 * Tool rules (after Letta's): limits an app's manifest puts on its own tool use, enforced by the
 * kernel whatever the model writes.
 *   - `requires_approval`: every call of the tool asks the user first, even with "always allow".
 *   - `max_count_per_step`: at most `max` calls of the tool (or of all tools, "*") run per model
 *     reply; the rest are not run (EQUOTA), as the kernel's own per-step cap.
 *
 * Invariant: rules only ever narrow what a process may do; a child inherits its parent's rules and
 * may add its own, never drop one.
 */
import { Type, type Static } from "./schema.ts";

const ToolName = Type.String({ minLength: 1, maxLength: 64, pattern: "^(\\*|[a-zA-Z0-9_.-]+)$", description: "A tool's name, or \"*\" for every tool." });

export const ToolRuleSchema = Type.Union([
  Type.Object({ type: Type.Literal("requires_approval"), tool: ToolName }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal("max_count_per_step"), tool: ToolName, max: Type.Integer({ minimum: 1, maximum: 32 }) }, { additionalProperties: false }),
]);
export const ToolRulesSchema = Type.Array(ToolRuleSchema, { maxItems: 64 });

export type ToolRule = Static<typeof ToolRuleSchema>;

function applies(rule: ToolRule, tool: string): boolean {
  return rule.tool === "*" || rule.tool === tool;
}

/** Why a call of `tool` needs the user's approval under `rules`, or null. */
export function ruleApproval(rules: readonly ToolRule[], tool: string): string | null {
  const rule = rules.find((r) => r.type === "requires_approval" && applies(r, tool));
  return rule ? `the app's tool rules ask the user before every call of ${rule.tool === "*" ? "any tool" : tool}` : null;
}

/**
 * Splits one reply's calls into those that may run and those a `max_count_per_step` rule (or the
 * kernel's own cap `kernelMax`) stops, in the reply's order; each stopped call says which limit.
 */
export function limitCalls<C extends { function: { name: string } }>(rules: readonly ToolRule[], calls: readonly C[], kernelMax: number): { run: C[]; dropped: Array<{ call: C; why: string }> } {
  const limits = rules.filter((r): r is Extract<ToolRule, { type: "max_count_per_step" }> => r.type === "max_count_per_step");
  const counts = new Map<ToolRule, number>();
  const run: C[] = [];
  const dropped: Array<{ call: C; why: string }> = [];
  for (const call of calls) {
    if (run.length >= kernelMax) {
      dropped.push({ call, why: `at most ${kernelMax} tool calls per step` });
      continue;
    }
    const over = limits.find((r) => applies(r, call.function.name) && (counts.get(r) ?? 0) >= r.max);
    if (over) {
      dropped.push({ call, why: `the app's tool rules allow at most ${over.max} call${over.max === 1 ? "" : "s"} of ${over.tool === "*" ? "tools" : over.tool} per step` });
      continue;
    }
    for (const r of limits) if (applies(r, call.function.name)) counts.set(r, (counts.get(r) ?? 0) + 1);
    run.push(call);
  }
  return { run, dropped };
}
