package org.netdrivers.support.driver;

/** A configuration field is missing or wrong. The message names the PID, the field and the problem. */
public final class InvalidConfigurationException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String pid;
    private final String field;
    private final String problem;

    public InvalidConfigurationException(String pid, String field, String problem) {
        super("configuration " + pid + ": field '" + field + "' " + shortened(problem));
        this.pid = pid;
        this.field = field;
        this.problem = problem;
    }

    /** A problem quoting a huge value is cut, so that one bad field cannot flood the log. */
    private static String shortened(String problem) {
        return problem.length() <= 400 ? problem : problem.substring(0, 400) + "... (" + problem.length() + " characters)";
    }

    public String pid() {
        return pid;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }
}
