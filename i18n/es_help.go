package i18n

// esHelp translates the help page.
var esHelp = map[string]string{}
