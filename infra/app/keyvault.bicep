// The vault of the app's secrets: the notification webhooks, whose URLs embed their receivers' tokens. The app setting
// is a Key Vault reference the platform resolves with the app's user-assigned identity, so the URLs are not readable
// by whoever can list the site's configuration; that identity may only read this vault's secrets.
param name string
param location string
param tags object = {}

@description('Object id of the app identity that reads the secrets.')
param principalId string

@secure()
@description('Webhooks told of every notification event, as a JSON array of https URLs (empty: none).')
param notifyWebhooks string = ''

// Built-in role definition id (documented, identical in every tenant): read secret contents.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC only: no access policies to drift from the role assignments.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // A deleted vault (and its secrets) can be recovered for 90 days and never purged early.
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

// Always present, so the app setting's reference always resolves: an empty list when no webhook is configured.
resource webhooks 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'port25-notify-webhooks'
  properties: {
    value: empty(trim(notifyWebhooks)) ? '[]' : notifyWebhooks
    contentType: 'application/json'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
// The secret's versionless URI: a reference to it follows the latest version (the platform re-reads within a day,
// or at once on a configuration change).
output webhooksSecretUri string = '${vault.properties.vaultUri}secrets/${webhooks.name}'
