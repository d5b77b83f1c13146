package i18n

// esSync: sync progress and history, per-account counts on the settings page.
var esSync = map[string]string{}
