// The action group that tells people, and the alert rules on the app's notification events: a run waiting for
// approval, a run halted by the canary, a run that left resources down. The app logs each event as one trace line,
// "Port25Event " followed by the event's JSON (src/contracts/notification.ts); the rules parse it, one alert per run.
param applicationInsightsName string
param location string
param tags object = {}

@description('Name of the action group.')
param actionGroupName string

@description('Email addresses the action group notifies (may be empty: receivers can be added to the group later).')
param alertEmails array = []

@description('How often each rule looks, in minutes.')
param evaluationFrequencyMinutes int = 5

@description('How far back each rule reads, in minutes: the evaluation period plus room for Application Insights ingestion delay (typically under 3 minutes, sometimes much longer; Learn "Log data ingestion time in Azure Monitor"). An allowed log-alert window size.')
@allowed([15, 30, 45, 60, 120])
param lookBackMinutes int = 30

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'port25'
    enabled: true
    emailReceivers: [for (email, i) in alertEmails: {
      name: 'email-${i}'
      emailAddress: email
      useCommonAlertSchema: true
    }]
  }
}

// Every rule reads the same events: the trace lines of the one contract, parsed once here. The window reaches back
// lookBackMinutes by event time, so an event ingested late is still inside it; each evaluation counts only what was
// ingested since the previous one, so no event is missed for arriving late and none alerts twice.
var events = 'traces | where ingestion_time() > ago(${evaluationFrequencyMinutes}m) | where message startswith "Port25Event " | extend event = parse_json(substring(message, 12)) | extend type = tostring(event.type), runId = tostring(event.runId), subscriptionId = tostring(event.subscriptionId), title = tostring(event.title)'

var rules = [
  {
    name: 'approval-needed'
    displayName: 'Port25: a run waits for approval'
    description: 'A remediation run waits for a human to approve or cancel it before its deadline.'
    severity: 2
    query: '${events} | where type == "approvalNeeded" | project timestamp, runId, subscriptionId, title, deadline = tostring(event.deadline)'
  }
  {
    name: 'canary-halted'
    displayName: 'Port25: a run was halted by the canary'
    description: 'The canary could not prove TCP 25 open; the run stopped with the fleet untouched.'
    severity: 1
    query: '${events} | where type == "canaryHalted" | project timestamp, runId, subscriptionId, title'
  }
  {
    name: 'left-down'
    displayName: 'Port25: a run left resources down'
    description: 'A run took VMs down and could not bring them back: each needs the manual action its report names.'
    severity: 0
    query: '${events} | where type == "runCompleted" and toint(event.counts.leftDown) > 0 | project timestamp, runId, subscriptionId, title, leftDown = toint(event.counts.leftDown)'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2021-08-01' = [for rule in rules: {
  name: 'port25-${rule.name}-${applicationInsightsName}'
  location: location
  tags: tags
  properties: {
    displayName: rule.displayName
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT${evaluationFrequencyMinutes}M'
    windowSize: 'PT${lookBackMinutes}M'
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          // One alert per run, named in the notification.
          dimensions: [
            {
              name: 'runId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}]

output actionGroupId string = actionGroup.id
