package i18n

// esRemote: remote content choices and trusted senders.
var esRemote = map[string]string{}
