// Package web holds Apartado's pages as templ components: the layout, one
// file per page and the parts they share. Pages take the typed view models
// defined here, shaped like the page, never database rows or maps; every
// word they show goes through i18n.T. The package does no I/O: handlers
// build the models and render the components.
package web
