package i18n

// esCalendar: calendar invitations and unpacked attachments on the message page.
var esCalendar = map[string]string{
	"Calendar":         "Calendario",
	"(no title)":       "(sin título)",
	"When":             "Cuándo",
	"Where":            "Dónde",
	"Organizer":        "Organizador",
	"Attached message": "Mensaje adjunto",
	"This attached message could not be read; download it to see its source.": "No se ha podido leer este mensaje adjunto; descárgalo para ver su código fuente.",
	"Download the attached message (.eml)":                                    "Descargar el mensaje adjunto (.eml)",
	"For the organizer: %s (%s)":                                              "Para el organizador: %s (%s)",
	"Repeats":                                                                 "Repetición",
	"This is a repeating event.":                                              "Es un evento periódico.",
	"This changes one occurrence of a repeating event.":                       "Esto cambia una de las repeticiones de un evento periódico.",
	"Event":                  "Evento",
	"Invitation":             "Invitación",
	"Cancelled event":        "Evento cancelado",
	"Reply to an invitation": "Respuesta a una invitación",
	"New time proposed":      "Propuesta de otra hora",
	"Proposed time declined": "Propuesta de hora rechazada",
	"No date given":          "Sin fecha",
	"%s – %s":                "%s – %s",
}
