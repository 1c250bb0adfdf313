/** Names of the durable functions that HTTP and timer triggers address by name. */
export const REMEDIATE_SUBSCRIPTION = "remediateSubscription";
export const REVERIFY_SUBSCRIPTION = "reverifySubscription";
export const APPROVE_EVENT = "approve";
export const CANCEL_EVENT = "cancel";
export const REMEDIATE_CAMPAIGN = "remediateCampaign";
