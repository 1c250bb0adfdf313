// The storage account behind the task hub, the audit tables and the deployment package; reachable only with Entra tokens.
param name string
param location string
param tags object = {}
param deploymentContainerName string

@description('Put a CanNotDelete lock on the account: the audit tables outlive a mistaken delete or `azd down` (docs/deploy.md, "Keeping the audit").')
param protectAudit bool = true

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    // No account keys: every client (host, Durable task hub, audit store, deployment) uses the managed identity.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

// The audit tables live here. A CanNotDelete lock leaves every read and write (data plane and configuration) as it
// is but refuses to delete the account, or the resource group around it (Learn "Lock your resources to protect your
// infrastructure"); removing the lock is a deliberate act of someone with Microsoft.Authorization/locks/delete.
resource auditLock 'Microsoft.Authorization/locks@2020-05-01' = if (protectAudit) {
  name: 'port25-keep-audit'
  scope: storage
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds the port25-remediation audit tables. Export or move them before removing this lock (docs/deploy.md, Keeping the audit).'
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
