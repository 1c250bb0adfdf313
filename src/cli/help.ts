/** Help texts, kept apart from the commands so that `--help` loads nothing heavy. */

export const SIMULATE_HELP = `port25 simulate [--scenario FILE] [--vms N] [--seed S] [--time-scale X] [--mode plan|execute]
                [--max-concurrency N] [--running-vm-cycle C] [--report FILE] [--json]
                [--availability-set-rule member|updateDomain] [--notify URL [--notify-format json|teams|slack]]
                [--subscriptions N [--vms M]] [--max-concurrent-subscriptions N]
  Runs the whole remediation on the built-in Azure simulator (default scenario: scenarios/demo.json, a realistic
  fleet of about 60 VMs), with the real durable-functions engine, the real Azure SDK clients and a real Azurite for
  the audit. Simulated time is virtual: a run that would take hours on Azure takes seconds. --vms N generates a
  fleet of N VMs instead. --running-vm-cycle deallocateStart cycles a running VM with two writes (deallocate, then
  start) instead of three (powerOffDeallocateStart, the default: power off, deallocate, start).
  --availability-set-rule updateDomain takes an availability set's members down one update domain at a time, all
  of a domain together (as Azure's planned maintenance does); member (the default) one member at a time.
  --time-scale X paces the run at X simulated seconds per real second (to watch it).
  Prints progress (a bar on a terminal), a summary and the path of the HTML report (default
  reports/port25-<run id>.html). --json prints only the machine-readable result (docs/cli.md).
  --notify URL posts the run's notifications (approval needed, canary halted, run completed or refused) to that
  webhook as the deployed app does (https, or http to 127.0.0.1/localhost), in the --notify-format body (json).
  On an estate (--scenario scenarios/estate.json: several subscriptions under management groups), or with
  --subscriptions N (a generated estate of N subscriptions of --vms M VMs each, default 20), it runs a campaign over
  the estate's root management group, up to --max-concurrent-subscriptions (default 5) subscriptions at once: a table
  per subscription, totals, and the campaign's report with every run's beside it (docs/cli.md).
  Exit codes: 0 the run completed without failures, 1 it ended with failures, left a resource down, was refused or
  halted, 2 bad usage, 130 stopped by Ctrl+C (a partial report is written).`;

export const PLAN_HELP = `port25 plan (--subscription ID | --management-group ID) [--arm-endpoint URL] [--ca FILE]
             [--max-concurrency N] [--running-vm-cycle powerOffDeallocateStart|deallocateStart]
             [--availability-set-rule member|updateDomain] [--resource-group RG]... [--all] [--json]
  Read-only: classifies the subscription and prints what a run would do to every resource (--resource-group: a
  run limited to those groups; every other resource is shown skipped, not selected).
  --management-group ID does so for every subscription beneath the group (at any depth), a few at a time, as a
  campaign would take them: one row per subscription (category, what would be cycled, or why it would be left
  alone, VNets to refresh, resources skipped) and the totals; --all adds each exemptible subscription's plan.
  Signs in with DefaultAzureCredential (az login is enough). --arm-endpoint and --ca point it at another ARM
  endpoint, e.g. the simulator started by \`port25 simulator\` (then set PORT25_ARM_STATIC_TOKEN as it prints).
  --all lists every resource; otherwise counts by action and skip reason. Exit 1 when the subscription is refused;
  with --management-group, exit 0 when at least one subscription is exemptible (the others are reported and would
  be left alone), 1 when none is.`;

export const RUN_HELP = `port25 run --subscription ID --attestation-ref REF --approved-by NAME --approved-at ISO
           [--mode plan|execute] [--resource-group RG]... [--max-concurrency N] [--running-vm-cycle C] [--availability-set-rule R]
           [--state DIR] [--report FILE] [--yes] [--json] [--arm-endpoint URL --ca FILE] [--time-scale X]
  Runs the remediation itself from this machine: the product's own workflow on an embedded durable host, against
  Azure (DefaultAzureCredential: az login is enough) or any ARM-compatible endpoint (--arm-endpoint/--ca, e.g. the
  simulator started by \`port25 simulator\`, with PORT25_ARM_STATIC_TOKEN set as it prints). Classifies and plans the
  subscription, prints the plan, and asks you to type the subscription's name to go on (--yes skips the question;
  without a terminal and without --yes it refuses). --resource-group (repeatable) limits the plan and the run to
  those groups. State (the run and its audit) is kept in --state DIR (default .port25/): the same command again
  resumes a run that was stopped or killed, or prints the summary of one that ended. Ctrl+C pauses (exit 130).
  --time-scale X (a simulator on this machine only) runs the clock X times real time, following the simulator's.
  Prints progress, the summary and the HTML report's path (default DIR/reports/). status, approve, cancel and audit
  take --state DIR to act on it (docs/cli.md). Exit codes as simulate; 130 paused.`;

export const SIMULATOR_HELP = `port25 simulator [--scenario FILE] [--vms N] [--subscriptions N] [--seed S] [--port P] [--time-scale X] [--request-log FILE]
  Runs the Azure simulator (HTTPS on 127.0.0.1) until interrupted, and prints its endpoint, subscription id,
  CA file and token, with the environment to point \`port25 plan\` at it. Default scenario: scenarios/demo.json.
  FILE may be an estate (several subscriptions under management groups, e.g. scenarios/estate.json): then it
  prints the group tree with each group's subscriptions. --subscriptions N generates an estate of N subscriptions
  of --vms VMs each (default 20). --time-scale X runs the simulated clock X times real time (default: the
  scenario's, 60 for the demo; its Date header says the simulated time); the port25 run line it prints carries the
  same --time-scale, so that the run's clock follows the simulator's.
  --request-log FILE writes every request it answered (a JSON array) to FILE when it stops.`;

export const SERVE_HELP = `port25 serve [--scenario FILE | --vms N] [--seed S] [--port P] [--time-scale X] [--auth] [--state DIR]
  (--scenario may name an estate, e.g. scenarios/estate.json: campaigns over its management groups)
  Serves the function app's HTTP API on http://127.0.0.1:P (default 7071; 0 for any free port) until interrupted:
  the app's own HTTP triggers, routes, function keys, bodies and status codes, run by the local durable host against
  the Azure simulator (default scenario: scenarios/demo.json) and a real Azurite for the audit. Prints the base URL, a
  function key generated at start (x-functions-key header or ?code=; any other key gets 401), a master key for the
  admin API (POST /admin/functions/reverifySubscriptions runs the re-verification timer now) and the commands to try:
  start, status --watch, approve, cancel and audit with --app http://127.0.0.1:P --key KEY.
  --time-scale X runs X simulated seconds per real second (default 60), from the wall clock at start; requests,
  approvals and runs are all stamped with that virtual clock and recorded as simulated.
  --auth (or PORT25_AUTH_ENABLED=true) enforces sign-in and the app roles as the deployed app does, with local
  identities: the remote commands' --user NAME signs in as NAME (both app roles) on this machine only.
  --state DIR keeps the runs (DIR/durable), the audit (DIR/audit) and the simulated world (DIR/simulator) in DIR:
  the same command again, after Ctrl+C or a kill, resumes them; a second process on DIR is refused.`;

export const REMOTE_HELP = {
  start: `port25 start --app URL (--subscription ID | --subscriptions ID,ID,… | --management-group ID)
             --attestation-ref REF --approved-by NAME --approved-at ISO [--mode plan|execute]
             [--require-approval] [--allow-self-approval] [--max-concurrency N] [--max-concurrent-subscriptions N]
             [--attestation-only] [--running-vm-cycle powerOffDeallocateStart|deallocateStart]
             [--availability-set-rule member|updateDomain]
             [--key KEY] [--token TOKEN] [--user NAME] [--json]
  Starts a remediation on the deployed app (function key from --key or PORT25_FUNCTION_KEY; with authentication on,
  the deployed default, an Entra access token for the API from --token or PORT25_API_TOKEN). Exactly one target:
  --subscription ID starts one run; --subscriptions (comma-separated ids, at most 500) or --management-group (every
  subscription beneath it, at any depth) starts a campaign: each subscription classified, those not exemptible
  reported and left alone, each exemptible one run as its own remediation, --max-concurrent-subscriptions at once
  (default 5, at most 50). The attestation, mode, approval and run options apply to every run of the campaign;
  with --require-approval each run waits for approval of its own plan. Prints the campaign id and the commands
  to follow, approve and cancel it. --allow-self-approval lets the starter approve (a single-operator lab).
  --user NAME (every remote command): a local identity for \`port25 serve --auth\` on this machine, sent as the
  principal App Service authentication would set (docs/security.md); refused for any other --app.`,
  status: `port25 status --app URL (--id INSTANCE|SUBSCRIPTION | --campaign ID) [--watch] [--key KEY] [--token TOKEN] [--user NAME] [--json]
              | --state DIR [--json]
  Shows a run's progress, or a campaign's (--campaign ID, or --id port25-campaign-…): a row per subscription
  (name, id, state, its run's status or phase, cycled, skipped, failed, left down, why it was left alone) and the
  totals. --watch follows it with a progress bar until it ends. Exit 1 when the run or campaign ended otherwise
  than completed, or left a resource down. With --state DIR instead of --app: the run \`port25 run\` keeps in DIR.`,
  approve: `port25 approve --app URL (--id INSTANCE|SUBSCRIPTION | --campaign ID [--subscription ID]) [--key KEY] [--token TOKEN] [--user NAME] [--json]
               | --state DIR
  Approves a run that waits for approval; for a campaign, every run of it that waits (--subscription: that
  subscription's run only), printing what was approved, what was not waiting and what was refused and why.
  Exit 1 when nothing was approved or a run refused the approval (four eyes: the approver must not be the starter).
  With --state DIR instead of --app: approves the paused run \`port25 run\` keeps in DIR (run it again to go on).`,
  cancel: `port25 cancel --app URL (--id INSTANCE|SUBSCRIPTION | --campaign ID [--subscription ID]) [--key KEY] [--token TOKEN] [--user NAME] [--json]
              | --state DIR
  Cancels a run gracefully: no VM is left half-cycled. For a campaign: every run in flight is signalled and no
  further subscription starts (--subscription: that subscription only); prints the runs signalled and the
  subscriptions cancelled before their run started. With --state DIR instead of --app: cancels the paused run
  \`port25 run\` keeps in DIR; the same \`port25 run\` command then lets it finish cancelling.`,
  audit: `port25 audit --app URL [--subscription ID] [--from ISO] [--to ISO] [--run RUN_ID [--html FILE]]
             [--campaign ID [--html FILE]] [--campaigns [--from ISO] [--to ISO]] [--verify [--subscription ID]]
             [--key KEY] [--token TOKEN] [--user NAME] [--json]
             | --state DIR [--run RUN_ID] [--html FILE] [--json]
  Lists audited runs, or shows one (--html writes its report to FILE). --campaign shows a campaign's record (a row
  per subscription, links to each run's report; --html writes the campaign's report); --campaigns lists campaigns.
  --verify checks the audit's hash chains (every record, or one --subscription's): exit 0 when whole, 1 naming
  every record changed, removed or reordered. Needs the Port25.Auditor role where authentication is on.
  With --state DIR [--run RUN_ID] [--html FILE] [--json] instead of --app: the audit \`port25 run\` keeps in DIR.`,
} as const;
