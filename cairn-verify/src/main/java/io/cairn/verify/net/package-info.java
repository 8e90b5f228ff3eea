/**
 * Network fault injection for clusters of real node processes on one machine.
 * {@link io.cairn.verify.net.FaultNetwork} routes every directed Raft link through its own
 * {@link io.cairn.verify.net.LinkProxy} by giving each node a private hosts file, so partitions
 * (symmetric or one-way) can be switched on and off per link without root, iptables or network
 * namespaces. Blocked links freeze their TCP streams instead of dropping bytes, and healing closes
 * the frozen connections so clients reconnect at once.
 */
package io.cairn.verify.net;
