package org.diffsweep.sampler;

import java.util.Arrays;

/** The observed convergence order of a sampler: the least-squares slope of log(error) against log(1/N). */
final class Slopes {

    private Slopes() {
    }

    static double order(String label, int[] steps, double[] errors) {
        double[] lx = new double[steps.length];
        double[] ly = new double[steps.length];
        StringBuilder log = new StringBuilder(label + " errors:");
        for (int i = 0; i < steps.length; i++) {
            log.append(String.format(" N=%d %.3e", steps[i], errors[i]));
            lx[i] = -Math.log(steps[i]);
            ly[i] = Math.log(errors[i]);
        }
        double mx = Arrays.stream(lx).average().orElseThrow();
        double my = Arrays.stream(ly).average().orElseThrow();
        double num = 0;
        double den = 0;
        for (int i = 0; i < lx.length; i++) {
            num += (lx[i] - mx) * (ly[i] - my);
            den += (lx[i] - mx) * (lx[i] - mx);
        }
        double slope = num / den;
        System.out.printf("%s; observed order %.3f%n", log, slope);
        return slope;
    }
}
