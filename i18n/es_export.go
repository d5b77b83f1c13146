package i18n

// esExport translates the download of an account's mail (handlers/export.go
// and the settings page).
var esExport = map[string]string{
	"Download all mail (.mbox)": "Descargar todo el correo (.mbox)",
	"(.zip of .eml)":            "(.zip de .eml)",
}
