-- Generated from tests/catalog_corpus/schema.py; do not edit by hand.
CREATE SCHEMA sales;
CREATE TABLE public.customers (
    id integer NOT NULL,
    name text NOT NULL,
    email varchar(20),
    active boolean NOT NULL,
    signup_date date,
    created_at timestamptz,
    tags text[],
    external_id uuid,
    profile json,
    PRIMARY KEY (id)
);
COMMENT ON TABLE public.customers IS 'People who buy things';
COMMENT ON COLUMN public.customers.name IS 'Full name as printed on invoices';
CREATE TABLE public.events (
    id bigint NOT NULL,
    happened_at timestamp,
    amount numeric(12,2),
    payload json
);
CREATE TABLE sales.orders (
    id bigint NOT NULL,
    customer_id integer NOT NULL REFERENCES public.customers(id),
    total numeric(12,2) NOT NULL,
    ordered_on date,
    shipped boolean,
    note text,
    PRIMARY KEY (id)
);
COMMENT ON TABLE sales.orders IS 'One row per order';
COMMENT ON COLUMN sales.orders.customer_id IS 'customers.id of the buyer';
CREATE TABLE sales.order_lines (
    order_id bigint NOT NULL REFERENCES sales.orders(id),
    line_no integer NOT NULL,
    sku varchar(20) NOT NULL,
    quantity integer,
    PRIMARY KEY (order_id, line_no)
);
CREATE VIEW public.active_customers AS SELECT id, name FROM public.customers WHERE active;
