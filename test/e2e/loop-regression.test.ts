import { afterAll, beforeAll, describe, it } from "vitest";
import { expectDrain, expectRolledBackByAlert, rollBackThroughAlerts, type Regression } from "./harness/regression.js";

/**
 * A canary that, in one session out of five, calls the same tool with the
 * same arguments until the loop guard ends the session: more looping
 * sessions and fewer completed tasks, through the whole alert path.
 */
describe("e2e: a canary that loops on a tool", () => {
  let regression: Regression | undefined;
  const started = () => {
    if (!regression) throw new Error("the regression run did not start");
    return regression;
  };

  beforeAll(async () => {
    regression = await rollBackThroughAlerts("loop regression", { loopRate: 0.2 }, 23);
  });
  afterAll(async () => {
    await regression?.run.stop();
  });

  it("is rolled back by the loop-rate or task-completion gate's alert through Alertmanager and the receiver", async () => {
    // Both gates see this regression; whichever crosses its boundary first rolls it back.
    await expectRolledBackByAlert(started(), ["AgentCanaryLoopsGateFailed", "AgentCanaryCompletionGateFailed"]);
  });

  it("lets canary sessions in flight at the rollback finish on canary and sends new sessions to baseline", async () => {
    await expectDrain(started());
  });
});
