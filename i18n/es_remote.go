package i18n

// esRemote: remote content choices and trusted senders.
var esRemote = map[string]string{
	"Remote content blocked to protect your privacy.": "Contenido remoto bloqueado para proteger tu privacidad.",
	"Show once":          "Mostrar esta vez",
	"Always show for %s": "Mostrar siempre para %s",
	"Remote content is shown for this view only.":   "El contenido remoto se muestra solo esta vez.",
	"Remote content is shown because you trust %s.": "El contenido remoto se muestra porque confías en %s.",
	"Stop trusting %s": "Dejar de confiar en %s",
	"Trusted senders":  "Remitentes de confianza",
	"Trusted since %s": "De confianza desde el %s",
	"Remove":           "Quitar",
	"Removed. Remote content from that sender is blocked again.": "Quitado. El contenido remoto de ese remitente vuelve a bloquearse.",
	"Remote content (images, styles, fonts) in mail from these senders loads without asking. Remote content can tell a sender when, and from where, you read their mail.": "El contenido remoto (imágenes, estilos, fuentes) del correo de estos remitentes se carga sin preguntar. El contenido remoto puede decirle a un remitente cuándo, y desde dónde, lees su correo.",
	"You trust no sender yet. In a message with remote content, choose “Always show for” its sender.":                                                                     "Aún no confías en ningún remitente. En un mensaje con contenido remoto, elige «Mostrar siempre para» su remitente.",
}
