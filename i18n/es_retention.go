package i18n

// esRetention translates the account form's choices of what happens to
// mail on the server (handlers/settings.go, web/account_form.templ and the
// settings page).
var esRetention = map[string]string{
	"Your provider's webmail and your other devices still see every message, and the provider's copy is a backup.": "El correo web de tu proveedor y tus otros dispositivos siguen viendo todos los mensajes, y la copia del proveedor sirve de respaldo.",
	"Optionally, while keeping a copy (these can be combined):":                                                    "Opcionalmente, mientras se guarda una copia (se pueden combinar):",
	"Delete it from the server some days after downloading it":                                                     "Eliminarlo del servidor unos días después de descargarlo",
	"Number of days (1 to 3650)": "Número de días (de 1 a 3650)",
	"Counted from the day Apartado first downloaded the message; it stays here either way.": "Contados desde el día en que Apartado descargó el mensaje por primera vez; aquí se conserva igualmente.",
	"When I delete a message here":                                          "Cuando elimino un mensaje aquí",
	"A message leaves the trash when you empty it or delete it from there.": "Un mensaje sale de la papelera cuando la vacías o lo eliminas desde ella.",
	"POP3's traditional way: the server keeps nothing once Apartado has the message, so this server and its backups hold the only copy; the choices above then do not apply.": "La forma tradicional de POP3: el servidor no conserva nada en cuanto Apartado tiene el mensaje, así que este servidor y sus copias de seguridad guardan la única copia; las opciones de arriba no se aplican entonces.",
	"Enter a number of days between 1 and %d, or untick the box.":                "Escribe un número de días entre 1 y %d, o desmarca la casilla.",
	"Choose what deleting a message here does on the server.":                    "Elige qué hace en el servidor eliminar un mensaje aquí.",
	"Leave it on the server":                                                     "Dejarlo en el servidor",
	"Delete it from the server when it leaves the trash":                         "Eliminarlo del servidor cuando salga de la papelera",
	"Delete it from the server at once":                                          "Eliminarlo del servidor en el momento",
	"Mail is deleted from the server once stored here.":                          "El correo se elimina del servidor en cuanto se guarda aquí.",
	"1 day after downloading it":                                                 "un día después de descargarlo",
	"%s days after downloading it":                                               "%s días después de descargarlo",
	"when it leaves the trash here":                                              "cuando sale de la papelera aquí",
	"when you delete it here":                                                    "cuando lo eliminas aquí",
	"A copy of your mail stays on the server.":                                   "Una copia de tu correo se queda en el servidor.",
	"A copy stays on the server, deleted there %s.":                              "Una copia se queda en el servidor y se elimina allí %s.",
	"A copy stays on the server, deleted there %s or %s, whichever comes first.": "Una copia se queda en el servidor y se elimina allí %s o %s, lo que ocurra antes.",
}
