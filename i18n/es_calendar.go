package i18n

// esCalendar: calendar invitations and unpacked attachments on the message page.
var esCalendar = map[string]string{}
