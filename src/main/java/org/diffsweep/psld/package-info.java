/**
 * The PSLD family (docs/architecture.md, docs/psld.md): implements {@code family}'s interfaces on the core. Names
 * nothing of the configuration, jobs, Spark or the command line.
 */
package org.diffsweep.psld;
