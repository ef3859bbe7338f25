import type { GatesConfig } from "../config/resolve.js";

/** The path the receiver serves Alertmanager webhooks on (payload version 4). */
export const ALERTMANAGER_HOOK_PATH = "/hooks/alertmanager";

/**
 * An Alertmanager (0.25) config that routes the gate alerts, split on the
 * `action` label, to the agent-canary receiver. Rollbacks go out at once and
 * are re-sent every few minutes while they fire, so one lost delivery cannot
 * leave a bad canary running; holds may batch for a few seconds.
 */
export function alertmanagerConfig(config: GatesConfig): Record<string, unknown> {
  const url = new URL(ALERTMANAGER_HOOK_PATH, config.receiver.url).toString();
  const webhook = (name: string) => ({
    name,
    webhook_configs: [
      {
        url,
        send_resolved: true,
        max_alerts: 0,
        http_config: { authorization: { type: "Bearer", credentials_file: config.receiver.credentialsFile } },
      },
    ],
  });
  const am = config.alertmanager;
  return {
    route: {
      receiver: "agent-canary-unrouted",
      group_by: ["alertname", "deployment", "gate"],
      group_wait: am.groupWait,
      group_interval: am.groupInterval,
      repeat_interval: am.repeatInterval,
      routes: [
        {
          matchers: ['alertname=~"AgentCanary.+"', 'action="rollback"'],
          receiver: "agent-canary-rollback",
          group_wait: "0s",
          group_interval: am.groupInterval,
          repeat_interval: "5m",
        },
        {
          matchers: ['alertname=~"AgentCanary.+"', 'action="hold"'],
          receiver: "agent-canary-hold",
          group_wait: am.groupWait,
          group_interval: am.groupInterval,
          repeat_interval: am.repeatInterval,
        },
      ],
    },
    // A rollback in flight makes a hold of the same deployment moot.
    inhibit_rules: [{ source_matchers: ['action="rollback"'], target_matchers: ['action="hold"'], equal: ["deployment"] }],
    receivers: [{ name: "agent-canary-unrouted" }, webhook("agent-canary-rollback"), webhook("agent-canary-hold")],
  };
}
