/**
 * Outer layer (docs/architecture.md): the {@code diffsweep} command line.
 */
package org.diffsweep.cli;
