import { describe, expect, it } from "vitest";
import { ClassificationSchema } from "../../../src/contracts/classification";
import type { BillingProperty, BillingRead, SubscriptionInfo } from "../../../src/contracts/discovery";
import { BILLING_READ_PERMISSION, classifySubscription } from "../../../src/domain/classify";
import { SUB } from "./fixtures";

const DEVTEST_QUOTA = "MSDNDevTest_2014-09-01";

function sub(quotaId?: string): SubscriptionInfo {
  return { subscriptionId: SUB, displayName: "s", quotaId };
}

function ok(property: BillingProperty): BillingRead {
  return { status: "ok", property };
}

describe("classifySubscription: the decision table", () => {
  const rows: {
    name: string;
    property: BillingProperty;
    quotaId?: string;
    category: string;
    warning?: boolean;
    advice?: boolean;
  }[] = [
    {
      name: "EA + DevTest (quotaId MSDNDevTest) is exemptible",
      property: { billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "DevTest" },
      quotaId: DEVTEST_QUOTA,
      category: "exemptible",
      warning: false,
    },
    {
      name: "MCA with account type Enterprise + DevTest is exemptible with a warning",
      property: {
        billingAccountAgreementType: "MicrosoftCustomerAgreement",
        billingAccountType: "Enterprise",
        subscriptionWorkloadType: "DevTest",
      },
      quotaId: DEVTEST_QUOTA,
      category: "exemptible",
      warning: true,
    },
    {
      name: "MCA with account sub-type Enterprise + DevTest is exemptible with a warning",
      property: {
        billingAccountAgreementType: "MicrosoftCustomerAgreement",
        billingAccountType: "Business",
        billingAccountSubType: "Enterprise",
        subscriptionWorkloadType: "DevTest",
      },
      quotaId: DEVTEST_QUOTA,
      category: "exemptible",
      warning: true,
    },
    {
      name: "EA + Production is not blocked",
      property: { billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "Production" },
      quotaId: "EnterpriseAgreement_2014-09-01",
      category: "notBlocked",
    },
    {
      name: "MCA-E + Production is not blocked",
      property: {
        billingAccountAgreementType: "MicrosoftCustomerAgreement",
        billingAccountType: "Enterprise",
        subscriptionWorkloadType: "Production",
      },
      quotaId: "EnterpriseAgreement_2014-09-01",
      category: "notBlocked",
    },
    {
      name: "pay-as-you-go Dev/Test (MOSP + quotaId MSDNDevTest) is blocked, never exemptible",
      property: { billingAccountAgreementType: "MicrosoftOnlineServicesProgram", subscriptionWorkloadType: "DevTest" },
      quotaId: DEVTEST_QUOTA,
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "pay-as-you-go is blocked",
      property: {
        billingAccountAgreementType: "MicrosoftOnlineServicesProgram",
        subscriptionWorkloadType: "Production",
      },
      quotaId: "PayAsYouGo_2014-09-01",
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "MSDN is blocked",
      property: { billingAccountAgreementType: "MicrosoftOnlineServicesProgram" },
      quotaId: "MSDN_2014-09-01",
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "free trial is blocked",
      property: { billingAccountAgreementType: "MicrosoftOnlineServicesProgram" },
      quotaId: "FreeTrial_2014-09-01",
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "sponsored is blocked",
      property: { billingAccountAgreementType: "MicrosoftOnlineServicesProgram" },
      quotaId: "Sponsored_2016-01-01",
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "CSP (MicrosoftPartnerAgreement) is blocked even with DevTest workload",
      property: { billingAccountAgreementType: "MicrosoftPartnerAgreement", subscriptionWorkloadType: "DevTest" },
      quotaId: "CSPDEVTEST_2018-05-01",
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "MCA Business + DevTest (self-serve Azure Plan for DevTest) is blocked",
      property: {
        billingAccountAgreementType: "MicrosoftCustomerAgreement",
        billingAccountType: "Business",
        subscriptionWorkloadType: "DevTest",
      },
      quotaId: DEVTEST_QUOTA,
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "MCA Individual + Production is blocked",
      property: {
        billingAccountAgreementType: "MicrosoftCustomerAgreement",
        billingAccountType: "Individual",
        subscriptionWorkloadType: "Production",
      },
      quotaId: "EnterpriseAgreement_2014-09-01",
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "agreement Other is blocked",
      property: { billingAccountAgreementType: "Other", subscriptionWorkloadType: "DevTest" },
      quotaId: DEVTEST_QUOTA,
      category: "blockedNotExemptible",
      advice: true,
    },
    {
      name: "EA + Internal workload is blocked (only Dev/Test is exemptible)",
      property: { billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "Internal" },
      category: "blockedNotExemptible",
      advice: true,
    },
  ];

  for (const row of rows) {
    it(row.name, () => {
      const c = classifySubscription(ok(row.property), sub(row.quotaId));
      expect(ClassificationSchema.parse(c)).toEqual(c);
      expect(c.category).toBe(row.category);
      if (row.warning !== undefined) expect(c.warning !== undefined).toBe(row.warning);
      if (row.advice === true) expect(c.advice).toMatch(/587/);
      else expect(c.advice).toBeUndefined();
      expect(c.decidedBy.length).toBeGreaterThan(0);
      expect(c.reason).toContain(row.property.billingAccountAgreementType ?? "");
    });
  }
});

describe("classifySubscription: what decided", () => {
  it("names agreement, workload and the agreeing quotaId for EA Dev/Test", () => {
    const c = classifySubscription(
      ok({ billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "DevTest" }),
      sub(DEVTEST_QUOTA),
    );
    expect(c.decidedBy).toEqual([
      "billingAccountAgreementType=EnterpriseAgreement",
      "subscriptionWorkloadType=DevTest",
      `quotaId=${DEVTEST_QUOTA}`,
    ]);
    expect(c.reason).toMatch(/EnterpriseAgreement.*DevTest.*MSDNDevTest_2014-09-01 agrees/);
    expect(c).toMatchObject({ agreementType: "EnterpriseAgreement", workloadType: "DevTest", quotaId: DEVTEST_QUOTA });
  });

  it("names the MCA account field that made it MCA-E and warns that qualification is unverified", () => {
    const c = classifySubscription(
      ok({
        billingAccountAgreementType: "MicrosoftCustomerAgreement",
        billingAccountSubType: "Enterprise",
        subscriptionWorkloadType: "DevTest",
      }),
      sub(DEVTEST_QUOTA),
    );
    expect(c.decidedBy).toContain("billingAccountSubType=Enterprise");
    expect(c.warning).toMatch(/unverified/i);
    expect(c.warning).toMatch(/canary/i);
  });

  it("still treats EA Dev/Test as exemptible when quotaId disagrees, but warns", () => {
    const c = classifySubscription(
      ok({ billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "DevTest" }),
      sub("PayAsYouGo_2014-09-01"),
    );
    expect(c.category).toBe("exemptible");
    expect(c.warning).toMatch(/PayAsYouGo_2014-09-01/);
    expect(c.decidedBy).not.toContain("quotaId=PayAsYouGo_2014-09-01");
  });

  it("says when quotaId was not available to cross-check", () => {
    const c = classifySubscription(
      ok({ billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "DevTest" }),
      sub(),
    );
    expect(c.category).toBe("exemptible");
    expect(c.reason).toMatch(/quotaId not available/);
  });

  it("calls pay-as-you-go Dev/Test by its name", () => {
    const c = classifySubscription(
      ok({ billingAccountAgreementType: "MicrosoftOnlineServicesProgram" }),
      sub(DEVTEST_QUOTA),
    );
    expect(c.reason).toMatch(/pay-as-you-go Dev\/Test or Visual Studio/);
    expect(c.decidedBy).toContain(`quotaId=${DEVTEST_QUOTA}`);
  });

  it("matches field values case-insensitively", () => {
    const c = classifySubscription(
      ok({ billingAccountAgreementType: "enterpriseagreement", subscriptionWorkloadType: "DEVTEST" }),
      sub("msdndevtest_2014-09-01"),
    );
    expect(c.category).toBe("exemptible");
    expect(c.warning).toBeUndefined();
    const mca = classifySubscription(
      ok({
        billingAccountAgreementType: "microsoftcustomeragreement",
        billingAccountType: "ENTERPRISE",
        subscriptionWorkloadType: "production",
      }),
      sub(),
    );
    expect(mca.category).toBe("notBlocked");
  });
});

describe("classifySubscription: quotaId alone never makes a subscription exemptible", () => {
  it.each([
    ["billing property not read", undefined],
    [
      "billing property forbidden",
      {
        status: "unreadable",
        httpStatus: 403,
        code: "AuthorizationFailed",
        message: "no access",
      } satisfies BillingRead,
    ],
    ["billing property without agreement type", ok({ subscriptionWorkloadType: "DevTest" })],
  ])("%s with quotaId MSDNDevTest → not exemptible", (_name, billing) => {
    const c = classifySubscription(billing, sub(DEVTEST_QUOTA));
    expect(c.category).toBe("unknown");
  });
});

describe("classifySubscription: unknown", () => {
  it("names the missing permission when the billing property is forbidden", () => {
    const c = classifySubscription(
      { status: "unreadable", httpStatus: 403, code: "AuthorizationFailed", message: "denied" },
      sub(DEVTEST_QUOTA),
    );
    expect(c).toMatchObject({
      category: "unknown",
      missingPermission: BILLING_READ_PERMISSION,
      quotaId: DEVTEST_QUOTA,
    });
    expect(c.reason).toContain("(HTTP 403, AuthorizationFailed)");
    // ARM's text of a 403 repeats the permission: the reason names it once, in its advice.
    expect(c.reason.split(BILLING_READ_PERMISSION)).toHaveLength(2);
  });

  it("keeps ARM's text when the billing property failed for another reason", () => {
    const c = classifySubscription(
      { status: "unreadable", httpStatus: 500, code: "InternalServerError", message: "try later" },
      sub(DEVTEST_QUOTA),
    );
    expect(c.reason).toContain("(HTTP 500, InternalServerError: try later)");
  });

  it("says nothing to do once: the summary does (Nothing to do: <reason>)", () => {
    const c = classifySubscription(
      ok({ billingAccountAgreementType: "EnterpriseAgreement", subscriptionWorkloadType: "Production" }),
      sub(),
    );
    expect(c.category).toBe("notBlocked");
    expect(c.reason).not.toMatch(/nothing to do/i);
  });

  it("names the missing permission when the billing property was not read at all", () => {
    const c = classifySubscription(undefined, sub());
    expect(c).toMatchObject({ category: "unknown", missingPermission: BILLING_READ_PERMISSION });
  });

  it("is unknown when an EA subscription reports no workload type", () => {
    const c = classifySubscription(ok({ billingAccountAgreementType: "EnterpriseAgreement" }), sub(DEVTEST_QUOTA));
    expect(c.category).toBe("unknown");
    expect(c.reason).toMatch(/no subscriptionWorkloadType/);
    expect(c.missingPermission).toBeUndefined();
  });

  it("is unknown when an MCA account has neither type nor sub-type", () => {
    const c = classifySubscription(
      ok({ billingAccountAgreementType: "MicrosoftCustomerAgreement", subscriptionWorkloadType: "DevTest" }),
      sub(DEVTEST_QUOTA),
    );
    expect(c.category).toBe("unknown");
    expect(c.reason).toMatch(/MCA-E/);
  });
});
