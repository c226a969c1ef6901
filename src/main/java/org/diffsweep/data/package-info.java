/**
 * Data sets (docs/architecture.md): image data set readers on Hadoop file systems, above the core.
 */
package org.diffsweep.data;
