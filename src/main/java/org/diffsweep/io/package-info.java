/**
 * Core (docs/architecture.md): where files are read from ({@link org.diffsweep.io.Store}). Pure Java; Hadoop
 * file systems plug in from above.
 */
package org.diffsweep.io;
