// Package templates renders campaign messages: the subject, an HTML part and a text part from
// html/template and text/template sources with merge fields, tracked links, the open pixel, the
// unsubscribe link and the embedded default layout with the brand's footer.
//
// It is pure: no I/O, no clock, nothing of Kirje's other packages. A Compiled template is parsed
// once per campaign and rendered for many recipients concurrently.
package templates
