/** The verdict on a subscription from its billing property (docs/architecture.md, "Classification"). */
import type { Classification } from "../contracts/classification";
import type { BillingProperty, BillingRead, SubscriptionInfo } from "../contracts/discovery";

export const BILLING_READ_PERMISSION = "Microsoft.Billing/billingProperty/read";
const DEVTEST_QUOTA_ID = "MSDNDevTest_2014-09-01";

const RELAY_ADVICE =
  "Send mail through an authenticated SMTP relay on TCP port 587 (for example Azure Communication Services Email, " +
  "or a third-party email delivery service); port 587 is open for every subscription type.";

const MCA_E_WARNING =
  "Microsoft's guidance names Enterprise Agreement Dev/Test subscriptions; whether an MCA-E Dev/Test (Azure Plan for " +
  "DevTest) subscription qualifies is unverified. Proceed only with an attested exemption; the canary probe decides.";

function same(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().toLowerCase() === b.toLowerCase();
}

function present(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== "";
}

interface Fields {
  agreement: string | undefined;
  workload: string | undefined;
  accountType: string | undefined;
  accountSubType: string | undefined;
  quotaId: string | undefined;
}

function fieldsOf(p: BillingProperty, sub: SubscriptionInfo): Fields {
  return {
    agreement: p.billingAccountAgreementType,
    workload: p.subscriptionWorkloadType,
    accountType: p.billingAccountType,
    accountSubType: p.billingAccountSubType,
    quotaId: sub.quotaId,
  };
}

function pair(name: string, value: string | undefined): string[] {
  return present(value) ? [`${name}=${value.trim()}`] : [];
}

function base(f: Fields): Pick<Classification, "quotaId" | "agreementType" | "workloadType"> {
  return {
    ...(present(f.quotaId) ? { quotaId: f.quotaId } : {}),
    ...(present(f.agreement) ? { agreementType: f.agreement } : {}),
    ...(present(f.workload) ? { workloadType: f.workload } : {}),
  };
}

function blocked(f: Fields, reason: string, decidedBy: string[]): Classification {
  return { category: "blockedNotExemptible", reason, decidedBy, advice: RELAY_ADVICE, ...base(f) };
}

function unreadable(billing: BillingRead | undefined, sub: SubscriptionInfo): Classification {
  // A refusal for want of the permission is said once, with the permission: ARM's own text repeats it.
  const denied =
    billing?.status === "unreadable" &&
    (billing.httpStatus === 403 || billing.message.includes(BILLING_READ_PERMISSION));
  const detail =
    billing?.status === "unreadable"
      ? `the billing property could not be read (${billing.httpStatus !== undefined ? `HTTP ${billing.httpStatus}, ` : ""}${billing.code}${denied ? "" : `: ${billing.message}`})`
      : "the billing property was not read";
  return {
    category: "unknown",
    reason: `${detail}; quotaId alone cannot tell Enterprise Dev/Test from pay-as-you-go Dev/Test. Grant ${BILLING_READ_PERMISSION} (e.g. Reader on the subscription) and retry`,
    decidedBy: ["billingProperty=unreadable"],
    missingPermission: BILLING_READ_PERMISSION,
    ...(present(sub.quotaId) ? { quotaId: sub.quotaId } : {}),
  };
}

/** EA or MCA-E: the workload type decides. */
function enterprise(f: Fields, label: string, decided: string[], mcaE: boolean): Classification {
  const decidedBy = [...decided, ...pair("subscriptionWorkloadType", f.workload)];
  if (same(f.workload, "Production")) {
    return {
      category: "notBlocked",
      reason: `${label} + workload Production: outbound port 25 is not blocked here`,
      decidedBy,
      ...base(f),
    };
  }
  if (same(f.workload, "DevTest")) {
    const quotaAgrees = same(f.quotaId, DEVTEST_QUOTA_ID);
    const quotaNote = present(f.quotaId)
      ? quotaAgrees
        ? ` (quotaId ${DEVTEST_QUOTA_ID} agrees)`
        : ` (quotaId ${f.quotaId} differs from the expected ${DEVTEST_QUOTA_ID})`
      : " (quotaId not available to cross-check)";
    const warnings = [
      ...(mcaE ? [MCA_E_WARNING] : []),
      ...(present(f.quotaId) && !quotaAgrees
        ? [`quotaId ${f.quotaId} is not ${DEVTEST_QUOTA_ID}; check the offer before going on.`]
        : []),
    ];
    return {
      category: "exemptible",
      reason: `${label} + workload DevTest${quotaNote}: eligible for the port 25 exemption`,
      decidedBy: [...decidedBy, ...(quotaAgrees ? pair("quotaId", f.quotaId) : [])],
      ...(warnings.length > 0 ? { warning: warnings.join(" ") } : {}),
      ...base(f),
    };
  }
  if (!present(f.workload)) {
    return {
      category: "unknown",
      reason: `${label} but the billing property has no subscriptionWorkloadType: cannot tell Dev/Test from Production`,
      decidedBy,
      ...base(f),
    };
  }
  return blocked(
    f,
    `${label} + workload ${f.workload.trim()}: only Dev/Test can be exempted and only Production is unblocked`,
    decidedBy,
  );
}

/**
 * Classifies a subscription. Only the billing property's agreement and workload types can make it exemptible;
 * quotaId is a cross-check, because MSDNDevTest_2014-09-01 also covers pay-as-you-go Dev/Test and Visual Studio.
 * All field values are matched case-insensitively.
 */
export function classifySubscription(billing: BillingRead | undefined, subscription: SubscriptionInfo): Classification {
  if (billing === undefined || billing.status === "unreadable") return unreadable(billing, subscription);
  const f = fieldsOf(billing.property, subscription);
  const agreementPair = pair("billingAccountAgreementType", f.agreement);

  if (same(f.agreement, "EnterpriseAgreement"))
    return enterprise(f, "agreement EnterpriseAgreement", agreementPair, false);

  if (same(f.agreement, "MicrosoftCustomerAgreement")) {
    const typeIsEnterprise = same(f.accountType, "Enterprise");
    const subTypeIsEnterprise = same(f.accountSubType, "Enterprise");
    if (typeIsEnterprise || subTypeIsEnterprise) {
      const which = typeIsEnterprise
        ? pair("billingAccountType", f.accountType)
        : pair("billingAccountSubType", f.accountSubType);
      return enterprise(
        f,
        "agreement MicrosoftCustomerAgreement (account Enterprise, MCA-E)",
        [...agreementPair, ...which],
        true,
      );
    }
    if (!present(f.accountType) && !present(f.accountSubType)) {
      return {
        category: "unknown",
        reason:
          "agreement MicrosoftCustomerAgreement without billingAccountType or billingAccountSubType: cannot tell MCA-E from a self-serve MCA",
        decidedBy: agreementPair,
        ...base(f),
      };
    }
    const kind = [f.accountType, f.accountSubType]
      .filter(present)
      .map((s) => s.trim())
      .join("/");
    return blocked(
      f,
      `agreement MicrosoftCustomerAgreement with account ${kind} (self-serve MCA, not MCA-E): port 25 is blocked and cannot be exempted`,
      [
        ...agreementPair,
        ...pair("billingAccountType", f.accountType),
        ...pair("billingAccountSubType", f.accountSubType),
      ],
    );
  }

  if (same(f.agreement, "MicrosoftOnlineServicesProgram")) {
    const devTest = same(f.quotaId, DEVTEST_QUOTA_ID);
    const what = devTest
      ? "pay-as-you-go Dev/Test or Visual Studio subscription"
      : "pay-as-you-go (Microsoft Online Services Program) subscription";
    return blocked(f, `agreement MicrosoftOnlineServicesProgram: ${what}; port 25 is blocked and cannot be exempted`, [
      ...agreementPair,
      ...pair("quotaId", f.quotaId),
    ]);
  }

  if (same(f.agreement, "MicrosoftPartnerAgreement")) {
    return blocked(f, "agreement MicrosoftPartnerAgreement (CSP): port 25 is blocked and cannot be exempted", [
      ...agreementPair,
      ...pair("quotaId", f.quotaId),
    ]);
  }

  if (!present(f.agreement)) {
    return {
      category: "unknown",
      reason: "the billing property has no billingAccountAgreementType: cannot tell the offer",
      decidedBy: ["billingAccountAgreementType=missing"],
      ...base(f),
    };
  }

  return blocked(
    f,
    `agreement ${f.agreement.trim()}: only Enterprise Agreement and MCA-E subscriptions can send on port 25`,
    [...agreementPair, ...pair("quotaId", f.quotaId)],
  );
}
