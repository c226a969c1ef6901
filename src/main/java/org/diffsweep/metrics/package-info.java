/**
 * Core (docs/architecture.md): feature statistics, Fréchet distance, KID, precision and recall. Pure Java.
 */
package org.diffsweep.metrics;
