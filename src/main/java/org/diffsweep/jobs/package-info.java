/**
 * Outer layer (docs/architecture.md): the Spark job drivers.
 */
package org.diffsweep.jobs;
