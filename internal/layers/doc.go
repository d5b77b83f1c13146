// Package layers holds the test that keeps Apartado's dependencies
// pointing one way: cmd → handlers, poller → app → db, pop3client,
// message, diagnose, discover, i18n; and that no function of the program
// grows past 150 lines. It has no code of its own.
package layers
