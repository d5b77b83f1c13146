// Package static embeds the web interface's stylesheet, scripts (app.js on
// every page, keys.js with the keyboard shortcuts on signed-in pages,
// live.js on the message lists, editor.js on the composer), icon and web
// manifest, and serves them with a content hash in their URLs so that
// browsers may cache them for a year. It holds no page logic.
package static
