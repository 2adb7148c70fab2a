// Package netroute asks the Linux kernel's routing table how it would
// send to an address, over rtnetlink (RTM_GETROUTE, rtnetlink(7)), as
// `ip route get` does: the interface, the preferred source address, the
// route's type and whether a gateway is on the way. Nothing is sent to
// the address. It is Linux only.
package netroute
