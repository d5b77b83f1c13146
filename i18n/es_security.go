package i18n

// esSecurity translates what the sign-in and first-run protections say.
var esSecurity = map[string]string{
	"Set-up code":                    "Código de configuración",
	"Enter the set-up code.":         "Escribe el código de configuración.",
	"This set-up code is not right.": "Este código de configuración no es correcto.",
	"Apartado printed it when it started: in its log (docker logs, journalctl) or in the terminal. You can also create the administrator with: apartado user add NAME --admin": "Apartado lo mostró al arrancar: en su registro (docker logs, journalctl) o en el terminal. También puedes crear el administrador con: apartado user add NOMBRE --admin",
	"Apartado is busy checking other passwords. Try again in a moment.": "Apartado está ocupado comprobando otras contraseñas. Vuelve a intentarlo en un momento.",
}
