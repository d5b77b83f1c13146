package i18n

// esCore translates the pages, forms and messages of the webmail itself.
var esCore = map[string]string{}
