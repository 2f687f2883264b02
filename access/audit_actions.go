package access

// Audited actions: the Action of audit entries, shared by the API's route table and the CLI so
// that one operation is recorded under one name whichever door it came through.
const (
	ActionSignIn = "auth.sign_in" // a token's first use in a UTC day (see Authenticate)

	ActionBrandCreate = "brand.create"
	ActionBrandUpdate = "brand.update"

	ActionContactUpsert     = "contact.upsert"
	ActionContactRectify    = "contact.rectify"    // GDPR Art. 16; detail names the changed fields
	ActionContactImport     = "contact.import"     // CSV import
	ActionContactPermission = "contact.permission" // a ban, unban, consent or withdrawal
	ActionContactTracking   = "contact.tracking"   // the contact's own tracking level (objection or consent)

	ActionSubjectObjection = "subject.objection" // GDPR Art. 21: a direct-marketing objection
	ActionSubjectExport    = "subject.export"    // GDPR Art. 15: everything held about an address
	ActionSubjectErase     = "subject.erase"     // GDPR Art. 17

	ActionCampaignCreate   = "campaign.create"
	ActionCampaignUpdate   = "campaign.update"
	ActionCampaignSchedule = "campaign.schedule"
	ActionCampaignPause    = "campaign.pause"
	ActionCampaignResume   = "campaign.resume"
	ActionCampaignCancel   = "campaign.cancel"
	ActionCampaignTest     = "campaign.test"

	ActionSuppressionAdd    = "suppression.add"
	ActionSuppressionRemove = "suppression.remove"
	ActionSuppressionImport = "suppression.import"
	ActionSuppressionExport = "suppression.export"

	ActionReportExport = "report.export" // a campaign report's per-recipient CSV

	ActionWebhookCreate  = "webhook.create" // a subscription: the feed's personal data goes to its URL
	ActionWebhookRemove  = "webhook.remove"
	ActionWebhookTest    = "webhook.test"
	ActionWebhookEnable  = "webhook.enable"
	ActionWebhookDisable = "webhook.disable"

	ActionUserCreate  = "user.create"
	ActionUserUpdate  = "user.update" // role, disabled
	ActionTokenIssue  = "token.issue"
	ActionTokenRevoke = "token.revoke"
)
