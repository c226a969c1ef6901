/**
 * Core (docs/architecture.md): feature detectors and images as detectors see them. Pure Java.
 */
package org.diffsweep.features;
