import { afterAll, beforeAll, describe, it } from "vitest";
import { expectDrain, expectRolledBackByAlert, rollBackThroughAlerts, type Regression } from "./harness/regression.js";
import { Slot } from "./harness/slot.js";

/**
 * A canary that, in one session out of five, calls the same tool with the
 * same arguments until the loop guard ends the session: more looping
 * sessions and fewer completed tasks, through the whole alert path.
 */
describe("e2e: a canary that loops on a tool", () => {
  const slot = new Slot<Regression>("the loop regression run");

  beforeAll(async () => {
    slot.set(await rollBackThroughAlerts("loop regression", { loopRate: 0.2 }, 23));
  });
  afterAll(async () => {
    await slot.current?.run.stop();
  });

  it("is rolled back by the loop-rate or task-completion gate's alert through Alertmanager and the receiver", async () => {
    // Both gates see this regression; whichever crosses its boundary first rolls it back.
    await expectRolledBackByAlert(slot.get(), ["AgentCanaryLoopsGateFailed", "AgentCanaryCompletionGateFailed"]);
  });

  it("lets canary sessions in flight at the rollback finish on canary and sends new sessions to baseline", async () => {
    await expectDrain(slot.get());
  });
});
