using DeepPcr.Gpu.Recurrent;

namespace DeepPcr.Gpu.Reference;

/// <summary>
/// The float64 sequential pass of a diagonal recurrent layer on the host, in plain loops over t: the reference
/// the device engine is measured against. States [B, T, S] batch first, each row (h_t, c_t) for lstm-cifg-diag.
/// Written from the equations of <see cref="RecurrentCell"/>, independently of the device's kernels.
/// </summary>
public static class RecurrentReference
{
    /// <summary>The states z_1..z_T of every sample, step after step from the initial state.</summary>
    /// <param name="model">The model.</param>
    /// <param name="problem">The input and initial state.</param>
    /// <returns>[B, T, S].</returns>
    public static double[] Forward(RecurrentModel model, RecurrentProblem problem)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(problem);
        int h = model.Hidden, s = model.StateWidth, length = problem.Length;
        var states = new double[(long)problem.Batch * length * s];
        var pre = new double[3 * h];
        for (int b = 0; b < problem.Batch; b++)
        {
            for (int t = 0; t < length; t++)
            {
                var previous = Previous(problem, states, s, b, t);
                Project(model, problem, b, t, pre);
                var next = states.AsSpan((int)(((long)b * length + t) * s), s);
                for (int i = 0; i < h; i++)
                {
                    var g = Gates(model, pre, previous, i);
                    if (model.Cell == RecurrentCell.GruDiag)
                    {
                        next[i] = (1 - g.Z) * g.N + g.Z * previous[i];
                    }
                    else
                    {
                        double c = g.F * previous[h + i] + (1 - g.F) * g.N;
                        next[h + i] = c;
                        next[i] = g.O * Math.Tanh(c);
                    }
                }
            }
        }
        return states;
    }

    /// <summary>
    /// Backpropagation through time at the given states: lambda_T = dLoss/dh_T, then step by step backwards the gate
    /// deltas, every parameter gradient, the input gradient and the state gradient carried to the step before;
    /// what is left at t = 0 is the initial state's gradient.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="problem">The input, initial state and output cotangent.</param>
    /// <param name="states">[B, T, S]: the forward states (<see cref="Forward"/>).</param>
    /// <returns>The gradients.</returns>
    public static RecurrentGradients Backward(RecurrentModel model, RecurrentProblem problem, double[] states)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(states);
        int h = model.Hidden, s = model.StateWidth, length = problem.Length, inputs = model.InputSize;
        if (states.LongLength != (long)problem.Batch * length * s) throw new ArgumentException($"states must be [B, T, S] = [{problem.Batch}, {length}, {s}].", nameof(states));
        var grads = new RecurrentGradients(model, problem.Batch, length);
        var pre = new double[3 * h];
        var carried = new double[s];
        var deltaX = new double[3 * h];
        for (int b = 0; b < problem.Batch; b++)
        {
            Array.Clear(carried);
            for (int t = length - 1; t >= 0; t--)
            {
                var previous = Previous(problem, states, s, b, t);
                Project(model, problem, b, t, pre);
                long row = (long)b * length + t;
                for (int i = 0; i < h; i++)
                {
                    var g = Gates(model, pre, previous, i);
                    double lambdaH = carried[i] + problem.Cotangent[row * h + i];
                    double hPrev = previous[i];
                    double dr, dz, dn, dnHidden, carryC = 0;
                    if (model.Cell == RecurrentCell.GruDiag)
                    {
                        dn = lambdaH * (1 - g.Z) * (1 - g.N * g.N);
                        dz = lambdaH * (hPrev - g.N) * g.Z * (1 - g.Z);
                        double q = model.WeightHh[2 * h + i] * hPrev + model.BiasHh[2 * h + i];
                        dr = dn * q * g.R * (1 - g.R);
                        dnHidden = dn * g.R;
                        carried[i] = lambdaH * g.Z + dr * model.WeightHh[i] + dz * model.WeightHh[h + i] + dnHidden * model.WeightHh[2 * h + i];
                    }
                    else
                    {
                        // gates f (slot r), g (slot n... stored in N), o; deltas in the order [f; g; o]
                        double cPrev = previous[h + i];
                        double c = g.F * cPrev + (1 - g.F) * g.N;
                        double tc = Math.Tanh(c);
                        double lambdaC = carried[h + i] + lambdaH * g.O * (1 - tc * tc);
                        dr = lambdaC * (cPrev - g.N) * g.F * (1 - g.F);          // f
                        dz = lambdaC * (1 - g.F) * (1 - g.N * g.N);              // g
                        dn = lambdaH * tc * g.O * (1 - g.O);                     // o
                        dnHidden = dn;
                        carryC = lambdaC * g.F;
                        carried[i] = dr * model.WeightHh[i] + dz * model.WeightHh[h + i] + dn * model.WeightHh[2 * h + i];
                        carried[h + i] = carryC;
                    }
                    deltaX[i] = dr;
                    deltaX[h + i] = dz;
                    deltaX[2 * h + i] = dn;
                    double[] deltaH = [dr, dz, dnHidden];
                    for (int gate = 0; gate < 3; gate++)
                    {
                        int gi = gate * h + i;
                        grads.BiasIh[gi] += deltaX[gi];
                        grads.BiasHh[gi] += deltaH[gate];
                        grads.WeightHh[gi] += deltaH[gate] * hPrev;
                    }
                }
                for (int gi = 0; gi < 3 * h; gi++)
                {
                    for (int j = 0; j < inputs; j++)
                    {
                        grads.WeightIh[(long)gi * inputs + j] += deltaX[gi] * problem.Input[row * inputs + j];
                        grads.Input[row * inputs + j] += model.WeightIh[(long)gi * inputs + j] * deltaX[gi];
                    }
                }
            }
            carried.CopyTo(grads.InitialState, (long)b * s);
        }
        return grads;
    }

    /// <summary>Each sample's last state [B, S] from states [B, T, S].</summary>
    /// <param name="states">[B, T, S].</param>
    /// <param name="batch">B.</param>
    /// <param name="length">T.</param>
    /// <param name="width">S.</param>
    public static double[] Last(double[] states, int batch, int length, int width)
    {
        ArgumentNullException.ThrowIfNull(states);
        var last = new double[(long)batch * width];
        for (int b = 0; b < batch; b++) Array.Copy(states, ((long)b * length + length - 1) * width, last, (long)b * width, width);
        return last;
    }

    private readonly record struct GateValues(double R, double Z, double N, double F, double O);

    private static ReadOnlySpan<double> Previous(RecurrentProblem problem, double[] states, int s, int b, int t) =>
        t == 0 ? problem.InitialState.AsSpan(b * s, s) : states.AsSpan((int)(((long)b * problem.Length + t - 1) * s), s);

    /// <summary>pre[g] = W_ih[g, :] x_t + b_ih[g] for the 3H gate rows.</summary>
    private static void Project(RecurrentModel model, RecurrentProblem problem, int b, int t, double[] pre)
    {
        int inputs = model.InputSize;
        long xRow = ((long)b * problem.Length + t) * inputs;
        for (int g = 0; g < pre.Length; g++)
        {
            double sum = model.BiasIh[g];
            for (int j = 0; j < inputs; j++) sum += model.WeightIh[(long)g * inputs + j] * problem.Input[xRow + j];
            pre[g] = sum;
        }
    }

    /// <summary>The gates of unit i: gru-diag (r, z, n), lstm-cifg-diag (f, g, o) with f in F, g in N and o in O.</summary>
    private static GateValues Gates(RecurrentModel model, double[] pre, ReadOnlySpan<double> previous, int i)
    {
        int h = model.Hidden;
        double hPrev = previous[i];
        double Hidden(int gate) => model.WeightHh[gate * h + i] * hPrev + model.BiasHh[gate * h + i];
        if (model.Cell == RecurrentCell.GruDiag)
        {
            double r = Sigmoid(pre[i] + Hidden(0));
            double z = Sigmoid(pre[h + i] + Hidden(1));
            double n = Math.Tanh(pre[2 * h + i] + r * Hidden(2));
            return new GateValues(r, z, n, 0, 0);
        }
        double f = Sigmoid(pre[i] + Hidden(0));
        double g = Math.Tanh(pre[h + i] + Hidden(1));
        double o = Sigmoid(pre[2 * h + i] + Hidden(2));
        return new GateValues(0, 0, g, f, o);
    }

    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
