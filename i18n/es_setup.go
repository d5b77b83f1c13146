package i18n

// esSetup translates the account set-up wizard, connection test and diagnoses.
var esSetup = map[string]string{}
