package i18n

// esSync: sync progress and history, per-account counts on the settings
// page (handlers/progress.go, web/sync.templ).
var esSync = map[string]string{
	"Checking for new mail shortly…":                                "Se buscará correo nuevo en unos instantes…",
	"Connecting to the server…":                                     "Conectando con el servidor…",
	"Looking for new mail…":                                         "Buscando correo nuevo…",
	"Finishing: deleting on the server what your settings ask for…": "Terminando: borrando en el servidor lo que pide tu configuración…",
	"No new mail.":      "No hay correo nuevo.",
	"%s of %s messages": "%s de %s mensajes",
	"%s of %s":          "%s de %s",
	"about %s left":     "quedan unos %s",
	"Messages on the server at the last check: %s (%s).":                                                                                                                    "Mensajes en el servidor en la última comprobación: %s (%s).",
	"Messages to be deleted on the server at the next check: %s.":                                                                                                           "Mensajes que se borrarán del servidor en la próxima comprobación: %s.",
	"Messages to be deleted on the server later: %s (the first on %s).":                                                                                                     "Mensajes que se borrarán del servidor más adelante: %s (el primero, el %s).",
	"Messages kept on the server for good, because what arrived did not match the size the server announced: %s.":                                                           "Mensajes que se quedan para siempre en el servidor, porque lo recibido no coincidía con el tamaño que anunció el servidor: %s.",
	"This server deletes every message once it has been downloaded (it announces EXPIRE 0), whatever you choose here: the copy in Apartado is then the only one.":           "Este servidor borra cada mensaje en cuanto se descarga (anuncia EXPIRE 0), elijas lo que elijas aquí: la copia de Apartado pasa a ser la única.",
	"This server deletes downloaded messages by itself after %s days (it announces EXPIRE %s), whatever you choose here: after that, the copy in Apartado is the only one.": "Este servidor borra por su cuenta los mensajes descargados al cabo de %s días (anuncia EXPIRE %s), elijas lo que elijas aquí: después, la copia de Apartado es la única.",
	"The check has finished. Reload the page to see what it did.":                                                                                                           "La comprobación ha terminado. Recarga la página para ver qué ha hecho.",
	"Reload the page to see how it is going.":                                                                                                                               "Recarga la página para ver cómo va.",
	"Nothing is scheduled for deletion on the server.":                                                                                                                      "No hay nada programado para borrarse del servidor.",
	"Recent checks":                          "Últimas comprobaciones",
	"This account has not been checked yet.": "Esta cuenta aún no se ha comprobado.",
	"When":                                   "Cuándo",
	"Took":                                   "Duración",
	"New":                                    "Nuevos",
	"Deleted on the server":                  "Borrados del servidor",
	"On the server":                          "En el servidor",
	"Result":                                 "Resultado",
	"Failed":                                 "Falló",
	"OK":                                     "Correcto",
}
